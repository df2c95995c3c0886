//! What the person actually wrote: a reply's text without quoted history or signature.
//!
//! The conversation view and the lead notification show this, and the auto-reply wording
//! rules read it (so that our own quoted message never decides what a reply is). Clients
//! mark history differently: Gmail/Apple "On ... wrote:" (and its translations), Outlook's
//! "-----Original Message-----" or a "From:/Sent:" header block, `>` quoting. Signatures
//! start with the "-- " delimiter or a mobile client's "Sent from my iPhone".

use std::sync::LazyLock;

use regex::Regex;

use crate::parse::{re, truncate};

/// Attribution lines that introduce quoted history, in the languages we support.
static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:on\s.{0,250}\bwrote|am\s.{0,250}\bschrieb.{0,120}|le\s.{0,250}\ba\s+écrit|el\s.{0,250}\bescribió|il\s.{0,250}\bha\s+scritto|em\s.{0,250}\bescreveu|op\s.{0,250}\bschreef.{0,120}|.{1,200}\b(?:wrote|schrieb|a écrit|escribió|ha scritto|escreveu|schreef))\s*:\s*$",
    )
});

/// The start of a two-line attribution that the client wrapped ("On Mon, ... Bob <b@x>").
static ATTRIBUTION_START: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:on|am|le|el|il giorno|em|op)\s.{5,250}$"));
static ATTRIBUTION_END: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(?:wrote|schrieb|a écrit|escribió|ha scritto|escreveu|schreef)\s*:\s*$")
});

/// Separator lines of forwarded or "original message" blocks.
static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|mensagem original|oorspronkelijk bericht|forwarded message|weitergeleitete nachricht|message transféré)\s*-{2,}|_{10,}|begin forwarded message:)",
    )
});

/// An Outlook header block: "From:" (translated) followed within a few lines by "Sent:".
static OUTLOOK_FROM: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*\*?(?:from|von|de|da|van|od)\s*:\*?\s+\S"));
static OUTLOOK_SENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*\*?(?:sent|gesendet|envoyé|enviado|inviato|verzonden|date|datum|data|fecha|wysłano)\s*:\*?\s+\S",
    )
});

/// Signature starts: the RFC 3676 delimiter and mobile/web client taglines.
static SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:--|__)\s*$|^\s*(?:sent from my |sent from (?:mail|outlook|yahoo mail|gmail)|get outlook for |von meinem .{0,40}gesendet|gesendet von meinem |envoyé de mon |envoyé depuis mon |enviado desde mi |enviado do meu |enviado a partir do meu |inviato da(?:l mio)? |verzonden vanaf mijn |verstuurd vanaf mijn )",
    )
});

/// Returns the new text of a message body: everything before the quoted history and the
/// signature, with `>`-quoted lines dropped, trimmed.
///
/// Works on plain text with any line ending. The input is capped to
/// [`crate::MAX_SCAN_CHARS`] so a huge body costs a bounded amount of work.
pub fn extract_new_text(body: &str) -> String {
    let body = truncate(body, crate::MAX_SCAN_CHARS);
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = body.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if ATTRIBUTION.is_match(line) || SEPARATOR.is_match(line) || SIGNATURE.is_match(line) {
            break;
        }
        if ATTRIBUTION_START.is_match(line)
            && lines
                .get(i + 1)
                .is_some_and(|next| ATTRIBUTION_END.is_match(next) && next.len() < 200)
        {
            break;
        }
        if OUTLOOK_FROM.is_match(line)
            && lines
                .iter()
                .skip(i + 1)
                .take(4)
                .any(|l| OUTLOOK_SENT.is_match(l))
        {
            break;
        }
        if trimmed.starts_with('>') {
            i += 1;
            continue;
        }
        kept.push(line.trim_end());
        i += 1;
    }
    // Trim blank lines at both ends and squeeze runs of blank lines.
    let mut out = String::new();
    let mut blank_run = 0;
    for line in kept {
        if line.trim().is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::extract_new_text as x;

    #[test]
    fn gmail_english() {
        let b = "Yes, let's talk Tuesday.\n\nOn Mon, 3 Nov 2025 at 10:00, Ann Smith <ann@us.com> wrote:\n> Hi Bob,\n> are you free?\n";
        assert_eq!(x(b), "Yes, let's talk Tuesday.");
    }

    #[test]
    fn wrapped_attribution() {
        let b = "Sure.\n\nOn Mon, 3 Nov 2025 at 10:00, Ann Smith <ann@us.com>\nwrote:\n> old\n";
        assert_eq!(x(b), "Sure.");
    }

    #[test]
    fn other_languages() {
        assert_eq!(
            x("Gerne!\n\nAm 03.11.2025 um 10:00 schrieb Ann <a@b.de>:\n> alt"),
            "Gerne!"
        );
        assert_eq!(
            x("Oui.\n\nLe lun. 3 nov. 2025 à 10:00, Ann <a@b.fr> a écrit :\n> vieux"),
            "Oui."
        );
        assert_eq!(
            x("Sí.\n\nEl lun, 3 nov 2025 a las 10:00, Ann (<a@b.es>) escribió:\n> viejo"),
            "Sí."
        );
        assert_eq!(
            x("Sì.\n\nIl giorno lun 3 nov 2025 alle ore 10:00 Ann <a@b.it> ha scritto:\n> x"),
            "Sì."
        );
        assert_eq!(
            x("Sim.\n\nEm seg., 3 de nov. de 2025 às 10:00, Ann <a@b.pt> escreveu:\n> x"),
            "Sim."
        );
        assert_eq!(
            x("Ja.\n\nOp ma 3 nov. 2025 om 10:00 schreef Ann <a@b.nl>:\n> x"),
            "Ja."
        );
    }

    #[test]
    fn outlook_blocks_and_signatures() {
        let b = "Thanks, send the quote.\n\nBob\n\n-----Original Message-----\nFrom: Ann\nSent: Monday\nSubject: x\n\nold";
        assert_eq!(x(b), "Thanks, send the quote.\n\nBob");
        let b = "Call me.\n\n________________________________\nFrom: Ann <a@us.com>\nSent: Monday, November 3, 2025 10:00 AM\nTo: Bob\n\nold";
        assert_eq!(x(b), "Call me.");
        let b = "Call me.\r\nFrom: Ann <a@us.com>\r\nSent: Monday\r\nTo: Bob\r\n\r\nold";
        assert_eq!(x(b), "Call me.");
        assert_eq!(x("Ok\n\nSent from my iPhone\n\n> old"), "Ok");
        assert_eq!(x("Ok\n-- \nBob Smith\nCEO"), "Ok");
        assert_eq!(x("Ok\n\nVon meinem iPhone gesendet"), "Ok");
    }

    #[test]
    fn inline_quotes_keep_answers() {
        let b = "> Are you free Tuesday?\nYes.\n> Budget?\nAround 5k.\n";
        assert_eq!(x(b), "Yes.\nAround 5k.");
    }

    #[test]
    fn empty() {
        assert_eq!(x(""), "");
        assert_eq!(x("\n\n> only quote\n"), "");
    }
}
