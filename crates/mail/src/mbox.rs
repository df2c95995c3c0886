//! Reading mbox files (`prospector classify-email --mbox`).
//!
//! An mbox is messages glued together, each starting with a `From sender date` line. Writers
//! escape body lines that begin with `From ` as `>From ` (mboxo) or add one more `>` to any
//! `>...From ` line (mboxrd). We split on separator lines that start the file or follow a
//! blank line, and undo the mboxrd escaping (which also undoes mboxo's for the common case).

use crate::parse::normalize_line_endings;

/// Splits an mbox file into its messages, separator lines removed and `>From ` unescaped.
///
/// Line endings may be LF, CRLF or CR; the messages come back with LF. A file with no
/// `From ` separator at all is returned as one message, so a single `.eml` passed as an mbox
/// still works. Empty messages are skipped.
pub fn split_mbox(data: &[u8]) -> Vec<Vec<u8>> {
    let data = normalize_line_endings(data);
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut prev_blank = true;
    let mut saw_separator = false;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if prev_blank && is_separator(line) {
            if let Some(msg) = current.take() {
                push_message(&mut messages, msg);
            }
            current = Some(Vec::new());
            saw_separator = true;
            prev_blank = false;
            continue;
        }
        prev_blank = line == b"\n";
        let buf = current.get_or_insert_with(Vec::new);
        if saw_separator {
            buf.extend_from_slice(unescape_from(line));
        } else {
            buf.extend_from_slice(line);
        }
    }
    if let Some(msg) = current.take() {
        push_message(&mut messages, msg);
    }
    messages
}

fn push_message(messages: &mut Vec<Vec<u8>>, mut msg: Vec<u8>) {
    // The writer adds one blank line before the next separator; it is not part of the message.
    if msg.ends_with(b"\n\n") {
        msg.pop();
    }
    if msg.iter().any(|b| !b.is_ascii_whitespace()) {
        messages.push(msg);
    }
}

/// A `From ` line that looks like an mbox separator: `From <sender> <date with digits>`.
fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ") && line.len() > 6 && line[5..].iter().any(u8::is_ascii_digit)
}

/// Undoes mboxrd escaping of one line: `>From ` becomes `From `, `>>From ` becomes `>From `.
///
/// Lines that are not escaped `From ` lines are returned unchanged.
pub fn unescape_from(line: &[u8]) -> &[u8] {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    if quotes > 0 && line[quotes..].starts_with(b"From ") {
        &line[1..]
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MBOX: &[u8] = b"From alice@example.com Mon Jan  5 10:00:00 2026\n\
Subject: one\n\nHello\n>From the start\n>>From deeper\n\n\
From bob@example.com Tue Jan  6 11:00:00 2026\n\
Subject: two\n\nFrom here on, no separator (no digits? it has none)\nBye\n\n";

    #[test]
    fn splits_and_unescapes() {
        let msgs = split_mbox(MBOX);
        assert_eq!(msgs.len(), 2);
        let one = String::from_utf8_lossy(&msgs[0]);
        assert!(one.starts_with("Subject: one\n"));
        assert!(one.contains("\nFrom the start\n"));
        assert!(one.contains("\n>From deeper\n"));
        assert!(one.ends_with("deeper\n"));
        let two = String::from_utf8_lossy(&msgs[1]);
        assert!(two.starts_with("Subject: two\n"));
        assert!(two.contains("From here on"));
    }

    #[test]
    fn crlf_and_cr_mbox() {
        let crlf: Vec<u8> = String::from_utf8_lossy(MBOX)
            .replace('\n', "\r\n")
            .into_bytes();
        assert_eq!(split_mbox(&crlf), split_mbox(MBOX));
        let cr: Vec<u8> = String::from_utf8_lossy(MBOX)
            .replace('\n', "\r")
            .into_bytes();
        assert_eq!(split_mbox(&cr), split_mbox(MBOX));
    }

    #[test]
    fn no_separator_is_one_message_and_empty_is_none() {
        assert_eq!(split_mbox(b"Subject: x\n\nbody\n").len(), 1);
        assert!(split_mbox(b"").is_empty());
        assert!(split_mbox(b"From a@b 2026\n\n").is_empty());
    }

    #[test]
    fn from_line_inside_body_without_blank_line_is_not_a_separator() {
        let m = b"From a@b Mon 2026\nSubject: x\n\nline\nFrom 2020 it was so\n";
        assert_eq!(split_mbox(m).len(), 1);
    }
}
