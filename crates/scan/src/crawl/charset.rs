//! Turns response bytes into text: BOM, then the Content-Type charset, then a `<meta>`
//! declaration, then detection (chardetng) when the bytes are not valid UTF-8.

use encoding_rs::Encoding;

/// Decoded text and the name of the encoding used.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc.name());
    }
    let declared = content_type
        .and_then(charset_param)
        .or_else(|| meta_charset(&bytes[..bytes.len().min(2048)]))
        .and_then(|label| Encoding::for_label(label.as_bytes()));
    let enc = match declared {
        // A page labelled UTF-8 that is not is common; detect instead of replacing.
        Some(e) if e == encoding_rs::UTF_8 && std::str::from_utf8(bytes).is_err() => detect(bytes),
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        None => detect(bytes),
    };
    let (text, _, _) = enc.decode(bytes);
    (text.into_owned(), enc.name())
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut d = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    d.feed(&bytes[..bytes.len().min(64 * 1024)], true);
    d.guess(None, chardetng::Utf8Detection::Allow)
}

fn charset_param(ct: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("charset") {
            Some(v.trim().trim_matches(['"', '\'']).to_string())
        } else {
            None
        }
    })
}

/// `<meta charset=x>` or `<meta http-equiv=content-type content="...; charset=x">`.
fn meta_charset(head: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(head).to_ascii_lowercase();
    let i = s.find("charset=")?;
    let rest = &s[i + 8..];
    let rest = rest.trim_start_matches(['"', '\'', ' ']);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':'))
        .unwrap_or(rest.len());
    let label = &rest[..end];
    if label.is_empty() {
        None
    } else {
        Some(label.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_meta_and_detection() {
        let latin1 = b"<p>M\xfcller Stra\xdfe</p>";
        assert_eq!(
            decode(latin1, Some("text/html; charset=ISO-8859-1")).0,
            "<p>Müller Straße</p>"
        );
        let meta = b"<meta charset=\"windows-1252\"><p>caf\xe9</p>";
        assert!(decode(meta, None).0.contains("café"));
        let (t, _) = decode("<p>Grüße</p>".as_bytes(), None);
        assert_eq!(t, "<p>Grüße</p>");
        // Labelled UTF-8 but actually Latin-1: detected, no replacement characters.
        let (t, _) = decode(
            b"<p>Ol\xe1 se\xf1or, caf\xe9 con leche y m\xe1s</p>",
            Some("text/html; charset=utf-8"),
        );
        assert!(!t.contains('\u{fffd}'), "{t}");
        let (t, _) = decode(b"\xef\xbb\xbfhi", None);
        assert_eq!(t, "hi");
    }
}
