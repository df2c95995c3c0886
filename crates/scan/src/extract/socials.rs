//! Social profile links, normalised to one canonical URL per profile. Share, intent and
//! embed links are not profiles and are ignored.

use url::Url;

/// A recognised profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Social {
    /// instagram, facebook, x, linkedin, youtube, tiktok, pinterest.
    pub network: &'static str,
    /// Canonical profile URL.
    pub url: String,
    /// Handle or id.
    pub handle: Option<String>,
}

fn strip_www(host: &str) -> &str {
    let h = host.strip_prefix("www.").unwrap_or(host);
    let h = h.strip_prefix("m.").unwrap_or(h);
    h.strip_prefix("mobile.").unwrap_or(h)
}

fn segments(u: &Url) -> Vec<String> {
    u.path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).map(|x| x.to_string()).collect())
        .unwrap_or_default()
}

fn handle_ok(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 100
        && h.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// Recognises a profile link; `None` for anything else (including share links).
pub fn classify(href: &str) -> Option<Social> {
    let href = href.trim();
    let href = if href.starts_with("//") {
        format!("https:{href}")
    } else {
        href.to_string()
    };
    let u = Url::parse(&href).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    let host = strip_www(&host);
    let segs = segments(&u);
    let first = segs.first().map(|s| s.to_ascii_lowercase());
    let first = first.as_deref();

    if host == "instagram.com" || host == "instagr.am" {
        let h = first?;
        if [
            "p",
            "explore",
            "accounts",
            "reel",
            "reels",
            "stories",
            "tv",
            "direct",
            "share",
            "about",
            "legal",
            "developer",
        ]
        .contains(&h)
            || !handle_ok(h)
        {
            return None;
        }
        return Some(Social {
            network: "instagram",
            url: format!("https://www.instagram.com/{h}/"),
            handle: Some(h.to_string()),
        });
    }
    if host == "facebook.com"
        || host == "fb.com"
        || host == "fb.me"
        || host.ends_with(".facebook.com")
    {
        let h = first?;
        if h == "profile.php" {
            let id = u
                .query_pairs()
                .find(|(k, _)| k == "id")
                .map(|(_, v)| v.to_string())?;
            if !id.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            return Some(Social {
                network: "facebook",
                url: format!("https://www.facebook.com/profile.php?id={id}"),
                handle: Some(id),
            });
        }
        if [
            "sharer",
            "sharer.php",
            "share",
            "share.php",
            "dialog",
            "plugins",
            "tr",
            "login",
            "login.php",
            "policies",
            "privacy",
            "help",
            "events",
            "watch",
            "photo.php",
            "photo",
            "permalink.php",
            "story.php",
            "hashtag",
            "ads",
            "business",
            "legal",
            "l.php",
            "home.php",
            "search",
        ]
        .contains(&h)
        {
            return None;
        }
        if h == "pages" || h == "pg" || h == "groups" {
            // /pages/Name/12345 and /groups/name keep two segments.
            let rest: Vec<&str> = segs.iter().skip(1).take(2).map(String::as_str).collect();
            if rest.is_empty() {
                return None;
            }
            let path = rest.join("/");
            return Some(Social {
                network: "facebook",
                url: format!("https://www.facebook.com/{h}/{path}"),
                handle: rest.last().map(|s| s.to_string()),
            });
        }
        if !handle_ok(h) || h.ends_with(".php") {
            return None;
        }
        return Some(Social {
            network: "facebook",
            url: format!("https://www.facebook.com/{h}"),
            handle: Some(h.to_string()),
        });
    }
    if host == "twitter.com" || host == "x.com" {
        let h = first?;
        if [
            "intent",
            "share",
            "home",
            "search",
            "hashtag",
            "i",
            "login",
            "signup",
            "explore",
            "settings",
            "privacy",
            "tos",
            "messages",
            "notifications",
            "compose",
        ]
        .contains(&h)
            || !handle_ok(h)
            || h.contains('.')
        {
            return None;
        }
        let h = h.trim_start_matches('@').to_ascii_lowercase();
        return Some(Social {
            network: "x",
            url: format!("https://x.com/{h}"),
            handle: Some(h.to_string()),
        });
    }
    if host == "linkedin.com" || host.ends_with(".linkedin.com") {
        let kind = first?;
        if !["company", "in", "school", "showcase"].contains(&kind) {
            return None;
        }
        let h = segs.get(1)?.to_ascii_lowercase();
        if !handle_ok(&h) {
            return None;
        }
        return Some(Social {
            network: "linkedin",
            url: format!("https://www.linkedin.com/{kind}/{h}/"),
            handle: Some(h),
        });
    }
    if host == "youtube.com" || host == "youtube-nocookie.com" {
        let f = segs.first()?;
        if f.starts_with('@') {
            let h = f.to_string();
            if !handle_ok(&h) {
                return None;
            }
            return Some(Social {
                network: "youtube",
                url: format!("https://www.youtube.com/{h}"),
                handle: Some(h),
            });
        }
        let kind = f.to_ascii_lowercase();
        if !["channel", "c", "user"].contains(&kind.as_str()) {
            return None;
        }
        let h = segs.get(1)?.to_string();
        if !handle_ok(&h) {
            return None;
        }
        return Some(Social {
            network: "youtube",
            url: format!("https://www.youtube.com/{kind}/{h}"),
            handle: Some(h),
        });
    }
    if host == "tiktok.com" {
        let f = segs.first()?;
        let h = f.strip_prefix('@')?.to_ascii_lowercase();
        if !handle_ok(&h) || segs.len() > 1 {
            return None;
        }
        return Some(Social {
            network: "tiktok",
            url: format!("https://www.tiktok.com/@{h}"),
            handle: Some(h),
        });
    }
    if host == "pinterest.com" || host.starts_with("pinterest.") || host.ends_with(".pinterest.com")
    {
        let h = first?;
        if [
            "pin", "search", "ideas", "explore", "today", "login", "business", "_", "oauth",
            "settings",
        ]
        .contains(&h)
            || !handle_ok(h)
            || segs.len() > 2
        {
            return None;
        }
        return Some(Social {
            network: "pinterest",
            url: format!("https://www.pinterest.com/{h}/"),
            handle: Some(h.to_string()),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(h: &str) -> Option<String> {
        classify(h).map(|s| s.url)
    }

    #[test]
    fn normalises_profiles() {
        assert_eq!(
            url("https://instagram.com/Bistro.Luna?hl=de").as_deref(),
            Some("https://www.instagram.com/bistro.luna/")
        );
        assert_eq!(
            url("http://m.facebook.com/BistroLuna/").as_deref(),
            Some("https://www.facebook.com/bistroluna")
        );
        assert_eq!(
            url("https://de-de.facebook.com/BistroLuna").as_deref(),
            Some("https://www.facebook.com/bistroluna")
        );
        assert_eq!(
            url("https://twitter.com/bistroluna").as_deref(),
            Some("https://x.com/bistroluna")
        );
        assert_eq!(
            url("https://www.linkedin.com/company/acme-gmbh/about/").as_deref(),
            Some("https://www.linkedin.com/company/acme-gmbh/")
        );
        assert_eq!(
            url("https://www.youtube.com/@BistroLuna").as_deref(),
            Some("https://www.youtube.com/@BistroLuna")
        );
        assert_eq!(
            url("https://www.tiktok.com/@Luna").as_deref(),
            Some("https://www.tiktok.com/@luna")
        );
        assert_eq!(
            url("https://www.pinterest.de/lunadesign/").as_deref(),
            Some("https://www.pinterest.com/lunadesign/")
        );
        assert_eq!(
            url("//www.facebook.com/profile.php?id=1000123").as_deref(),
            Some("https://www.facebook.com/profile.php?id=1000123")
        );
    }

    #[test]
    fn ignores_share_links() {
        for h in [
            "https://www.facebook.com/sharer/sharer.php?u=x",
            "https://twitter.com/intent/tweet?text=x",
            "https://x.com/share?url=x",
            "https://www.linkedin.com/shareArticle?mini=true",
            "https://www.linkedin.com/sharing/share-offsite/?url=x",
            "https://pinterest.com/pin/create/button/?url=x",
            "https://www.youtube.com/watch?v=abc",
            "https://www.youtube.com/embed/abc",
            "https://www.instagram.com/p/Cx123/",
            "https://www.facebook.com/tr?id=123&ev=PageView",
            "https://www.tiktok.com/@luna/video/123",
            "mailto:x@y.de",
        ] {
            assert_eq!(url(h), None, "{h}");
        }
    }
}
