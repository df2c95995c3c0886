//! How many SMS segments a body costs, the way carriers (and Twilio's bill) count them.
//!
//! A body that fits the GSM-7 alphabet is 160 septets in one segment or 153 per segment
//! when split (the rest carries the concatenation header); characters of the extension
//! table (`€ [ ] { } \ ^ ~ |` and form feed) take two septets and are never split across
//! segments. Any other character switches the whole body to UCS-2: 70 UTF-16 units, or 67
//! per segment, and a surrogate pair (emoji) is never split either. So one emoji in a
//! 100-character message turns one segment into two.

/// The encoding a body will be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

impl SmsEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        }
    }
}

/// The GSM 03.38 basic character set (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (escape + one septet: two each).
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets for `c` in GSM-7, or `None` if it is not in the alphabet.
pub fn gsm7_septets(c: char) -> Option<u32> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The characters that force UCS-2 (for a "this emoji doubles the cost" hint).
pub fn non_gsm_chars(body: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in body.chars() {
        if gsm7_septets(c).is_none() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// `(encoding, segments)` for `body`; an empty body is zero segments (nothing to send).
pub fn segments(body: &str) -> (SmsEncoding, u32) {
    let gsm: Option<Vec<u32>> = body.chars().map(gsm7_septets).collect();
    match gsm {
        Some(units) => (SmsEncoding::Gsm7, pack(&units, 160, 153)),
        None => {
            let units: Vec<u32> = body.chars().map(|c| c.len_utf16() as u32).collect();
            (SmsEncoding::Ucs2, pack(&units, 70, 67))
        }
    }
}

/// Greedy packing of indivisible characters into segments.
fn pack(units: &[u32], single: u32, multi: u32) -> u32 {
    let total: u64 = units.iter().map(|u| u64::from(*u)).sum();
    if total == 0 {
        return 0;
    }
    if total <= u64::from(single) {
        return 1;
    }
    let mut segments = 1u32;
    let mut used = 0u32;
    for &u in units {
        if used + u > multi {
            segments = segments.saturating_add(1);
            used = 0;
        }
        used += u;
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_has_the_right_size() {
        assert_eq!(GSM7_BASIC.chars().count(), 127, "128 codes minus ESC");
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
    }

    #[test]
    fn boundaries() {
        assert_eq!(segments(""), (SmsEncoding::Gsm7, 0));
        assert_eq!(segments("Hi"), (SmsEncoding::Gsm7, 1));
        assert_eq!(segments(&"a".repeat(160)), (SmsEncoding::Gsm7, 1));
        assert_eq!(segments(&"a".repeat(161)), (SmsEncoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(306)), (SmsEncoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(307)), (SmsEncoding::Gsm7, 3));
        // Extension characters count twice: 80 € is 160 septets.
        assert_eq!(segments(&"€".repeat(80)), (SmsEncoding::Gsm7, 1));
        assert_eq!(segments(&"€".repeat(81)), (SmsEncoding::Gsm7, 2));
        // An escape pair is not split: 152 + '€' does not fit 153, so it moves on.
        let s = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(segments(&s), (SmsEncoding::Gsm7, 2));
        assert_eq!(segments(&"é".repeat(160)), (SmsEncoding::Gsm7, 1));
        assert_eq!(segments(&"ç".repeat(70)), (SmsEncoding::Ucs2, 1));
        assert_eq!(segments(&"ç".repeat(71)), (SmsEncoding::Ucs2, 2));
        assert_eq!(segments(&"ç".repeat(134)), (SmsEncoding::Ucs2, 2));
        assert_eq!(segments(&"ç".repeat(135)), (SmsEncoding::Ucs2, 3));
        // Emoji are two UTF-16 units: 35 fit in one segment.
        assert_eq!(segments(&"😀".repeat(35)), (SmsEncoding::Ucs2, 1));
        assert_eq!(segments(&"😀".repeat(36)), (SmsEncoding::Ucs2, 2));
        // 66 units + one emoji does not fit 67: it moves to the next segment.
        let s = format!("{}😀{}", "ç".repeat(66), "ç".repeat(10));
        assert_eq!(segments(&s), (SmsEncoding::Ucs2, 2));
        assert_eq!(non_gsm_chars("Hi 😀 ça va 😀"), vec!['😀', 'ç']);
    }
}
