//! Visible text of a page, the way a visitor reads it: block elements become line breaks,
//! inline elements join without spaces (so `info@<b>firma</b>.de` stays one address), and
//! hidden, script and style content is left out.

use ego_tree::NodeRef;
use scraper::{Html, Node};

/// Elements whose content a visitor never sees as text.
const SKIP: &[&str] = &[
    "script", "style", "template", "head", "svg", "iframe", "object", "select", "textarea",
    "canvas", "video", "audio", "map",
];

/// Elements that start a new line of text.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "option",
    "button",
    "label",
    "caption",
    "summary",
    "details",
];

/// Visible text of the document with block boundaries as `\n`.
pub fn visible_text(doc: &Html) -> String {
    let mut out = String::with_capacity(4096);
    walk(doc.tree.root(), &mut out, 0);
    out
}

fn is_hidden(el: &scraper::node::Element) -> bool {
    if el.attr("hidden").is_some() {
        return true;
    }
    if let Some(style) = el.attr("style") {
        let s: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if s.contains("display:none") || s.contains("visibility:hidden") {
            return true;
        }
    }
    false
}

fn is_reversed(el: &scraper::node::Element) -> bool {
    match el.attr("style") {
        Some(style) => {
            let s: String = style
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            s.contains("direction:rtl") && s.contains("unicode-bidi:bidi-override")
        }
        None => false,
    }
}

fn walk(node: NodeRef<'_, Node>, out: &mut String, depth: usize) {
    // Deeply nested malformed HTML must not blow the stack.
    if depth > 256 {
        return;
    }
    match node.value() {
        Node::Text(t) => push_text(out, t),
        Node::Element(el) => {
            let name = el.name();
            if SKIP.contains(&name) || is_hidden(el) {
                return;
            }
            if name == "br" {
                out.push('\n');
                return;
            }
            let block = BLOCK.contains(&name);
            if block {
                out.push('\n');
            }
            if is_reversed(el) {
                let mut inner = String::new();
                for child in node.children() {
                    walk(child, &mut inner, depth + 1);
                }
                out.extend(inner.chars().rev());
            } else {
                for child in node.children() {
                    walk(child, out, depth + 1);
                }
            }
            if block {
                out.push('\n');
            } else if name == "img" {
                out.push(' ');
            }
        }
        Node::Document | Node::Fragment => {
            for child in node.children() {
                walk(child, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn push_text(out: &mut String, t: &str) {
    for c in t.chars() {
        match c {
            // Zero-width characters are a common trick to break scrapers.
            '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}' => {}
            '\u{a0}' | '\u{202f}' | '\u{2009}' => out.push(' '),
            _ => out.push(c),
        }
    }
}

/// The last `n` characters before byte offset `end` (char-boundary safe), lower-cased.
pub fn context_before(text: &str, end: usize, n: usize) -> String {
    let end = end.min(text.len());
    let mut start = end;
    let mut count = 0;
    for (i, _) in text[..end].char_indices().rev() {
        start = i;
        count += 1;
        if count >= n {
            break;
        }
    }
    text[start..end].to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_inline_and_breaks_blocks() {
        let doc = Html::parse_document(
            "<html><head><title>T</title></head><body><p>info@<b>firma</b>.de</p><p>x</p>\
             <script>var a='no@x.de'</script><div style='display: none'>hidden@x.de</div></body></html>",
        );
        let t = visible_text(&doc);
        assert!(t.contains("info@firma.de"));
        assert!(!t.contains("no@x.de"));
        assert!(!t.contains("hidden@x.de"));
        assert!(!t.contains('T'));
    }

    #[test]
    fn reverses_bidi_override() {
        let doc = Html::parse_document(
            "<p><span style=\"unicode-bidi: bidi-override; direction: rtl\">ed.amrif@ofni</span></p>",
        );
        assert!(visible_text(&doc).contains("info@firma.de"));
    }

    #[test]
    fn context_is_char_safe() {
        let s = "Téléphone: 1";
        assert_eq!(context_before(s, s.len(), 4), "e: 1");
        assert_eq!(context_before(s, 3, 4), "té");
        assert_eq!(context_before("ab", 2, 10), "ab");
    }
}
