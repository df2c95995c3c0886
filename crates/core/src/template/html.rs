//! HTML escaping and the plain-text-to-HTML conversion of message bodies.

/// Appends `s` to `out` with `&`, `<`, `>`, `"` and `'` escaped.
pub(super) fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// `s` with `&`, `<`, `>`, `"` and `'` escaped, safe in element text and quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, &mut out);
    out
}

/// Converts a plain-text body to HTML: the text is escaped, blank lines separate `<p>`
/// paragraphs, single line breaks become `<br>`, and `http://` / `https://` URLs become links
/// (trailing punctuation such as a final `.` or an unbalanced `)` stays outside the link).
pub fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + text.len() / 4 + 16);
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, out: &mut String| {
        if paragraph.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str("<p>");
        for (i, line) in paragraph.iter().enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            linkify_into(line, out);
        }
        out.push_str("</p>");
        paragraph.clear();
    };
    for line in text.split('\n') {
        if line.trim().is_empty() {
            flush(&mut paragraph, &mut out);
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// Byte length of the URL starting at the beginning of `s` (which starts with a scheme), or 0.
fn url_len(s: &str) -> usize {
    let b = s.as_bytes();
    let scheme = if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        8
    } else if b.len() >= 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        7
    } else {
        return 0;
    };
    let mut end = s
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`'))
        .map_or(s.len(), |(i, _)| i);
    // Give back trailing punctuation that belongs to the sentence, and closing brackets that
    // were not opened inside the URL ("(see http://x.org/a)").
    let count = |c: char| s[..end].bytes().filter(|&b| b == c as u8).count();
    let (open_p, mut close_p) = (count('('), count(')'));
    let (open_b, mut close_b) = (count('['), count(']'));
    while let Some(last) = s[..end].chars().next_back() {
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' => true,
            ')' => open_p < close_p,
            ']' => open_b < close_b,
            _ => false,
        };
        if !strip || end <= scheme {
            break;
        }
        match last {
            ')' => close_p -= 1,
            ']' => close_b -= 1,
            _ => {}
        }
        end -= last.len_utf8();
    }
    if end <= scheme { 0 } else { end }
}

fn linkify_into(line: &str, out: &mut String) {
    let mut rest = line;
    let mut prev: Option<char> = None;
    while !rest.is_empty() {
        let at_boundary = prev.is_none_or(|p| !p.is_alphanumeric());
        let n = if at_boundary && rest.as_bytes()[0].eq_ignore_ascii_case(&b'h') {
            url_len(rest)
        } else {
            0
        };
        if n > 0 {
            let url = &rest[..n];
            out.push_str("<a href=\"");
            escape_into(url, out);
            out.push_str("\">");
            escape_into(url, out);
            out.push_str("</a>");
            prev = url.chars().next_back();
            rest = &rest[n..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            let mut buf = [0u8; 4];
            escape_into(c.encode_utf8(&mut buf), out);
            prev = Some(c);
            rest = &rest[c.len_utf8()..];
        }
    }
}
