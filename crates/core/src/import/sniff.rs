//! Guessing how a CSV file is written from its first bytes: encoding, delimiter, line endings.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::error::FileError;

/// How many bytes [`sniff`] wants; readers pass the first `SNIFF_BYTES` of the file.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The delimiters we detect, in tie-break order.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// What line terminators the sample uses (the reader accepts all of them in any mix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    Lf,
    CrLf,
    Cr,
    Mixed,
    /// The sample is a single line.
    None,
}

/// The result of sniffing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// WHATWG encoding name: "UTF-8", "UTF-16LE", "UTF-16BE", "windows-1252", ...
    pub encoding: &'static str,
    /// The field delimiter, one of [`DELIMITERS`].
    pub delimiter: u8,
    /// A byte-order mark was present (it is skipped by the reader).
    pub has_bom: bool,
    /// Length of that BOM in bytes.
    pub bom_len: usize,
    /// Line terminators seen in the sample.
    pub line_ending: LineEnding,
    enc: &'static Encoding,
}

impl Sniffed {
    /// Builds a `Sniffed` from explicit choices (user overrides), e.g. `("windows-1252", b';')`.
    /// Returns `None` for an encoding label encoding_rs does not know.
    pub fn with(encoding_label: &str, delimiter: u8) -> Option<Sniffed> {
        let enc = Encoding::for_label(encoding_label.trim().as_bytes())?;
        Some(Sniffed {
            encoding: enc.name(),
            delimiter,
            has_bom: false,
            bom_len: 0,
            line_ending: LineEnding::None,
            enc,
        })
    }

    /// The delimiter as the string used in JSON output: ",", ";", "\t" or "|".
    pub fn delimiter_name(&self) -> &'static str {
        delimiter_name(self.delimiter)
    }

    /// The encoding_rs encoding, for decoding.
    pub fn encoding_rs(&self) -> &'static Encoding {
        self.enc
    }

    pub(crate) fn set_encoding(&mut self, enc: &'static Encoding) {
        self.enc = enc;
        self.encoding = enc.name();
    }
}

/// The JSON string for a delimiter byte.
pub fn delimiter_name(d: u8) -> &'static str {
    match d {
        b',' => ",",
        b';' => ";",
        b'\t' => "\t",
        b'|' => "|",
        b':' => ":",
        b' ' => " ",
        _ => "?",
    }
}

/// Parses a user-supplied delimiter: ",", ";", "|", "\t", "tab", "comma", "semicolon", "pipe".
pub fn parse_delimiter(s: &str) -> Option<u8> {
    match s
        .trim_matches(|c| c == ' ' || c == '\'' || c == '"')
        .to_ascii_lowercase()
        .as_str()
    {
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "\t" | "\\t" | "tab" => Some(b'\t'),
        "|" | "pipe" => Some(b'|'),
        _ if s == "\t" => Some(b'\t'),
        _ => None,
    }
}

/// Sniffs encoding, delimiter and line endings from the first bytes of a file (ideally
/// [`SNIFF_BYTES`]; a shorter sample is taken to be the whole file).
///
/// Fails only for an empty file or one that is clearly not text (NUL bytes, control
/// characters, zip/Excel/PDF signatures).
pub fn sniff(sample: &[u8]) -> Result<Sniffed, FileError> {
    let complete = sample.len() < SNIFF_BYTES;
    if let Some(kind) = binary_signature(sample) {
        return Err(FileError::Binary { hint: Some(kind) });
    }
    let (enc, bom_len) = detect_encoding(sample, complete);
    let body = &sample[bom_len..];
    let (text, _) = enc.decode_without_bom_handling(body);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    if looks_binary(&text) {
        return Err(FileError::Binary { hint: None });
    }
    // Drop a partial last line of a truncated sample.
    let text: &str = if complete {
        &text
    } else {
        match text.rfind(['\n', '\r']) {
            Some(i) if i > 0 => &text[..i],
            _ => &text,
        }
    };
    Ok(Sniffed {
        encoding: enc.name(),
        delimiter: detect_delimiter(text),
        has_bom: bom_len > 0,
        bom_len,
        line_ending: detect_line_ending(text),
        enc,
    })
}

fn binary_signature(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"PK\x03\x04") {
        Some("a zip archive (an .xlsx/.ods spreadsheet?): save it as CSV first")
    } else if b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Some("an old Excel (.xls) file: save it as CSV first")
    } else if b.starts_with(b"%PDF") {
        Some("a PDF document")
    } else if b.starts_with(&[0x1F, 0x8B]) {
        Some("a gzip archive")
    } else if b.starts_with(b"\x89PNG") || b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("an image")
    } else {
        None
    }
}

fn detect_encoding(sample: &[u8], complete: bool) -> (&'static Encoding, usize) {
    if let Some((enc, len)) = Encoding::for_bom(sample) {
        return (enc, len);
    }
    // UTF-16 without BOM: every other byte is zero for Latin text.
    let probe = &sample[..sample.len().min(4096) & !1];
    if probe.len() >= 4 {
        let pairs = probe.len() / 2;
        let even_zero = probe.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd_zero = probe.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        if odd_zero * 10 > pairs * 4 && even_zero * 20 < pairs {
            return (UTF_16LE, 0);
        }
        if even_zero * 10 > pairs * 4 && odd_zero * 20 < pairs {
            return (UTF_16BE, 0);
        }
    }
    // Valid UTF-8 multi-byte sequences practically never occur by accident in legacy
    // encodings: if there are some, the file is UTF-8 with a few stray bytes (mixed
    // encodings), which the decoder repairs.
    let (multibyte, invalid) = utf8_profile(sample, complete);
    if invalid == 0 || multibyte > 0 {
        return (UTF_8, 0);
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(sample, complete);
    let guess = det.guess(None, chardetng::Utf8Detection::Allow);
    if guess == UTF_8 || guess == UTF_16LE || guess == UTF_16BE {
        (WINDOWS_1252, 0)
    } else {
        (guess, 0)
    }
}

/// Counts valid multi-byte UTF-8 characters and invalid bytes in a sample.
fn utf8_profile(sample: &[u8], complete: bool) -> (usize, usize) {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    let mut rest = sample;
    loop {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, None),
            Err(e) => {
                let valid = std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default();
                (valid, Some(e))
            }
        };
        multibyte += valid.chars().filter(|c| !c.is_ascii()).count();
        let Some(e) = bad else { break };
        match e.error_len() {
            Some(n) => {
                invalid += n;
                rest = &rest[e.valid_up_to() + n..];
            }
            None => {
                if complete {
                    invalid += rest.len() - e.valid_up_to();
                }
                break;
            }
        }
    }
    (multibyte, invalid)
}

fn looks_binary(text: &str) -> bool {
    let mut total = 0usize;
    let mut nul = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(SNIFF_BYTES) {
        total += 1;
        if c == '\0' {
            nul += 1;
        } else if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0C' | '\x1A') {
            control += 1;
        }
    }
    nul > 0 && nul * 1000 >= total || control * 100 > total.max(1) * 2
}

fn detect_line_ending(text: &str) -> LineEnding {
    let b = text.as_bytes();
    let (mut crlf, mut cr, mut lf) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                crlf += 1;
                i += 1;
            }
            b'\r' => cr += 1,
            b'\n' => lf += 1,
            _ => {}
        }
        i += 1;
    }
    match (crlf > 0, cr > 0, lf > 0) {
        (false, false, false) => LineEnding::None,
        (true, false, false) => LineEnding::CrLf,
        (false, true, false) => LineEnding::Cr,
        (false, false, true) => LineEnding::Lf,
        _ => LineEnding::Mixed,
    }
}

/// Picks the delimiter whose field count is most consistent across the sampled records
/// (quote-aware), preferring more fields on a tie, then the order of [`DELIMITERS`].
fn detect_delimiter(text: &str) -> u8 {
    let mut best = (b',', 0u64);
    for &d in &DELIMITERS {
        let counts = field_counts(text, d, 200);
        if counts.is_empty() {
            continue;
        }
        let mut freq: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for &c in &counts {
            *freq.entry(c).or_default() += 1;
        }
        // The header's count matters most: it defines the columns.
        let header = counts[0];
        let (mode, mode_n) = freq
            .iter()
            .max_by_key(|(k, n)| (**n, **k))
            .map(|(k, n)| (*k, *n))
            .unwrap_or((1, 0));
        if mode <= 1 && header <= 1 {
            continue;
        }
        let consistency = (mode_n * 100 / counts.len()) as u64;
        let header_bonus = u64::from(header == mode);
        let score = consistency * 10_000 + header_bonus * 5_000 + mode.min(4_999) as u64;
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

/// Field counts of the first `max` records of `text` with delimiter `d` (RFC 4180 quoting).
fn field_counts(text: &str, d: u8, max: usize) -> Vec<usize> {
    let mut counts = Vec::new();
    let mut fields = 1usize;
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut record_has_content = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && counts.len() < max {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if b == b'"' && at_field_start {
            in_quotes = true;
            at_field_start = false;
            record_has_content = true;
        } else if b == d {
            fields += 1;
            at_field_start = true;
            record_has_content = true;
        } else if b == b'\n' || b == b'\r' {
            if record_has_content {
                counts.push(fields);
            }
            fields = 1;
            at_field_start = true;
            record_has_content = false;
        } else {
            at_field_start = false;
            record_has_content = true;
        }
        i += 1;
    }
    if record_has_content && counts.len() < max && !in_quotes {
        counts.push(fields);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(sniff(b"a,b,c\n1,2,3\n").unwrap().delimiter, b',');
        assert_eq!(sniff(b"a;b;c\n1,5;2;3\n").unwrap().delimiter, b';');
        assert_eq!(sniff(b"a\tb\n1\t2\n").unwrap().delimiter, b'\t');
        assert_eq!(sniff(b"a|b|c\r\n1|2|3\r\n").unwrap().delimiter, b'|');
        // Quoted delimiters do not count.
        assert_eq!(
            sniff(b"name;city\n\"a,b,c\";x\n\"d,e,f\";y\n")
                .unwrap()
                .delimiter,
            b';'
        );
        // A single column.
        assert_eq!(sniff(b"email\na@b.com\n").unwrap().delimiter, b',');
    }

    #[test]
    fn encodings() {
        let s = sniff(b"\xEF\xBB\xBFa;b\n").unwrap();
        assert_eq!((s.encoding, s.has_bom, s.bom_len), ("UTF-8", true, 3));
        let s = sniff(b"name,city\nJos\xE9,M\xFCnchen\n").unwrap();
        assert_eq!(s.encoding, "windows-1252");
        let s = sniff(b"\xFF\xFEa\0,\0b\0\n\0").unwrap();
        assert_eq!((s.encoding, s.has_bom), ("UTF-16LE", true));
        let s = sniff(b"a\0,\0b\0\n\0").unwrap();
        assert_eq!(s.encoding, "UTF-16LE");
        assert_eq!(sniff(b"x\r\ny\r\n").unwrap().line_ending, LineEnding::CrLf);
        assert_eq!(sniff(b"x\ry\r").unwrap().line_ending, LineEnding::Cr);
    }

    #[test]
    fn failures() {
        assert!(matches!(sniff(b""), Err(FileError::Empty)));
        assert!(matches!(
            sniff(b"\xEF\xBB\xBF  \r\n"),
            Err(FileError::Empty)
        ));
        assert!(matches!(
            sniff(b"PK\x03\x04rest"),
            Err(FileError::Binary { hint: Some(_) })
        ));
        assert!(matches!(
            sniff(b"ab\0\0\x01\x02\x03cd\0\x05"),
            Err(FileError::Binary { .. })
        ));
    }
}
