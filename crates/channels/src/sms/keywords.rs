//! STOP / START / HELP keywords, Twilio's default opt-out set.
//!
//! The whole message must be the keyword (case-insensitive, surrounding whitespace and
//! punctuation ignored: "Stop." and " STOP!" count, "please stop texting me" does not —
//! that is a reply for a person to read). Twilio already blocks further sends after STOP
//! (error 21610); recording the opt-out ourselves keeps every channel and the suppression
//! list consistent.

/// What an inbound SMS asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT: suppress the number.
    OptOut,
    /// START, YES, UNSTOP: lift the suppression.
    OptIn,
    /// HELP, INFO: answer with who we are and how to stop.
    Help,
}

impl Keyword {
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::OptOut => "opt_out",
            Keyword::OptIn => "opt_in",
            Keyword::Help => "help",
        }
    }

    /// Twilio's Advanced Opt-Out `OptOutType` parameter (`STOP`, `START`, `HELP`).
    pub fn from_opt_out_type(s: &str) -> Option<Keyword> {
        match s.trim().to_ascii_uppercase().as_str() {
            "STOP" => Some(Keyword::OptOut),
            "START" => Some(Keyword::OptIn),
            "HELP" => Some(Keyword::Help),
            _ => None,
        }
    }
}

pub const OPT_OUT_KEYWORDS: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
pub const OPT_IN_KEYWORDS: &[&str] = &["START", "YES", "UNSTOP"];
pub const HELP_KEYWORDS: &[&str] = &["HELP", "INFO"];

/// Classifies a message body; `None` for an ordinary reply.
pub fn classify_keyword(body: &str) -> Option<Keyword> {
    let word = body
        .trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .to_uppercase();
    let w = word.as_str();
    if OPT_OUT_KEYWORDS.contains(&w) {
        Some(Keyword::OptOut)
    } else if OPT_IN_KEYWORDS.contains(&w) {
        Some(Keyword::OptIn)
    } else if HELP_KEYWORDS.contains(&w) {
        Some(Keyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords() {
        for s in [
            "STOP",
            "stop",
            " Stop. ",
            "STOPALL",
            "unsubscribe",
            "Cancel",
            "END",
            "quit!",
        ] {
            assert_eq!(classify_keyword(s), Some(Keyword::OptOut), "{s}");
        }
        for s in ["START", "yes", "Unstop"] {
            assert_eq!(classify_keyword(s), Some(Keyword::OptIn), "{s}");
        }
        for s in ["HELP", "info", "Help?"] {
            assert_eq!(classify_keyword(s), Some(Keyword::Help), "{s}");
        }
        for s in ["", "please stop texting me", "stopp", "yes please", "ST OP"] {
            assert_eq!(classify_keyword(s), None, "{s}");
        }
        assert_eq!(Keyword::from_opt_out_type("STOP"), Some(Keyword::OptOut));
        assert_eq!(Keyword::from_opt_out_type(""), None);
    }
}
