//! Mailbox names on the wire: IMAP's modified UTF-7 (RFC 3501 section 5.1.3) inside a quoted
//! string, so `Réponses` is sent as `"R&AOk-ponses"` and `&` as `&-`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// Encodes a UTF-8 mailbox name as modified UTF-7.
pub(super) fn encode_mailbox(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

fn flush(out: &mut String, pending: &mut Vec<u16>) {
    if pending.is_empty() {
        return;
    }
    let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    out.push_str(&STANDARD_NO_PAD.encode(bytes).replace('/', ","));
    out.push('-');
    pending.clear();
}

/// A quoted IMAP string. The caller has rejected control characters (CR, LF, NUL).
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_rfc3501_examples() {
        assert_eq!(encode_mailbox("INBOX"), "INBOX");
        assert_eq!(encode_mailbox("INBOX.Réponses"), "INBOX.R&AOk-ponses");
        assert_eq!(encode_mailbox("Tom & Jerry"), "Tom &- Jerry");
        // RFC 3501's example: "~peter/mail/台北/日本語".
        assert_eq!(
            encode_mailbox("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        // Outside the BMP: a surrogate pair.
        assert_eq!(encode_mailbox("📧"), "&2D3c5w-");
    }

    #[test]
    fn quotes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("INBOX"), "\"INBOX\"");
    }
}
