//! What goes around a message body and what comes back from it: the signature and
//! unsubscribe footer, the optional open pixel and click redirects, the one-click
//! unsubscribe (RFC 8058) behind `/u/{token}`, and the filtering of opens and clicks made by
//! mail scanners rather than people.

use super::engine::Uses;
use super::render::RenderedMessage;
use crate::{App, AppError, AppResult};
use prospector_core::template::escape_html;
use prospector_core::time::now_ms;
use prospector_store::messages::{self, Engagement, Message, NewLink};
use prospector_store::{ContactId, MessageId, WorkspaceId};
use serde_json::json;

/// The public base URL without a trailing slash.
fn base(app: &App) -> String {
    app.config().public_url.trim_end_matches('/').to_string()
}

/// The unsubscribe page of a message.
pub fn unsubscribe_url(app: &App, token: &str) -> String {
    format!("{}/u/{token}", base(app))
}

/// A message body ready to store: footer, signature, pixel and tracked links applied.
pub struct Body {
    pub text: String,
    pub html: String,
    pub links: Vec<NewLink>,
}

/// Append the signature and unsubscribe footer (unless the template placed them itself),
/// rewrite links for click tracking and add the open pixel.
pub fn finish_body(
    app: &App,
    r: &RenderedMessage,
    uses: &Uses,
    signature: Option<&str>,
    unsubscribe_url: &str,
    open_token: Option<&str>,
    track_clicks: bool,
) -> Body {
    let mut text = r.text.trim_end().to_string();
    let mut html = r.html.clone();
    if let Some(sig) = signature.filter(|_| !uses.signature) {
        text.push_str("\n\n");
        text.push_str(sig);
        html.push_str(&format!(
            "\n<p>{}</p>",
            escape_html(sig).replace('\n', "<br>\n")
        ));
    }
    if !uses.unsubscribe_url {
        text.push_str(&format!("\n\n--\nUnsubscribe: {unsubscribe_url}\n"));
        html.push_str(&format!(
            "\n<p style=\"font-size:12px;color:#888\"><a href=\"{}\">Unsubscribe</a></p>",
            escape_html(unsubscribe_url)
        ));
    }
    let mut links = Vec::new();
    if track_clicks {
        html = rewrite_links(&html, unsubscribe_url, |url| {
            let token = crate::crypto::random_token(12);
            let tracked = format!("{}/t/c/{token}", base(app));
            links.push(NewLink {
                token,
                url: url.to_string(),
            });
            tracked
        });
    }
    if let Some(t) = open_token {
        html.push_str(&format!(
            "\n<img src=\"{}/t/o/{t}\" width=\"1\" height=\"1\" alt=\"\" style=\"display:none\">",
            base(app)
        ));
    }
    Body { text, html, links }
}

/// Replace every `href="http(s)://..."` except the unsubscribe link with `f(url)`.
fn rewrite_links(html: &str, keep: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let keep_escaped = escape_html(keep);
    while let Some(i) = rest.find("href=\"") {
        let (head, tail) = rest.split_at(i + 6);
        out.push_str(head);
        match tail.find('"') {
            Some(end) => {
                let url = &tail[..end];
                let is_web = url.starts_with("http://") || url.starts_with("https://");
                if is_web && url != keep && url != keep_escaped {
                    // The href is HTML-escaped; store the real URL.
                    let real = url.replace("&amp;", "&");
                    out.push_str(&escape_html(&f(&real)));
                } else {
                    out.push_str(url);
                }
                rest = &tail[end..];
            }
            None => {
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Who is asking: scanners fetch pixels and follow links before (or instead of) people.
pub struct Visit<'a> {
    pub user_agent: &'a str,
    /// GET or HEAD.
    pub method: &'a str,
    pub at: i64,
}

/// User agents of link scanners, security gateways and tools, lower-cased.
const BOT_AGENTS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "scanner",
    "preview",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "java/",
    "okhttp",
    "headlesschrome",
    "phantomjs",
    "barracuda",
    "proofpoint",
    "mimecast",
    "symantec",
    "forcepoint",
    "trendmicro",
    "sophos",
    "fortiguard",
    "safelinks",
    "linkchecker",
];

/// Why an open or click looks automatic, or `None` for a person. `sent_at` is when the
/// message left; a click within seconds of that is a scanner.
pub fn bot_reason(v: &Visit<'_>, sent_at: Option<i64>) -> Option<&'static str> {
    if v.method.eq_ignore_ascii_case("HEAD") {
        return Some("HEAD request");
    }
    let ua = v.user_agent.to_ascii_lowercase();
    if ua.trim().is_empty() {
        return Some("no user agent");
    }
    if BOT_AGENTS.iter().any(|b| ua.contains(b)) {
        return Some("scanner user agent");
    }
    if let Some(s) = sent_at
        && v.at - s < 3_000
    {
        return Some("within 3 seconds of sending");
    }
    None
}

/// A message found by its unsubscribe token, for the `/u` page.
pub async fn message_for_token(app: &App, token: &str) -> AppResult<Message> {
    if token.len() > 64 || token.is_empty() {
        return Err(AppError::NotFound);
    }
    messages::find_by_unsubscribe_token(app.db(), token)
        .await?
        .ok_or(AppError::NotFound)
}

/// Unsubscribe the recipient of a message: suppress the address in its workspace, stop every
/// active enrollment of the contact, record the event. Repeating it changes nothing.
pub async fn unsubscribe(app: &App, token: &str, how: &str) -> AppResult<Message> {
    let m = message_for_token(app, token).await?;
    let ws = WorkspaceId(m.workspace_id);
    let now = now_ms();
    prospector_store::suppressions::add(
        app.db(),
        ws,
        "email",
        &m.to_address.to_lowercase(),
        "unsubscribed",
    )
    .await?;
    messages::record(
        app.db(),
        ws,
        MessageId(m.id),
        Engagement::Unsubscribed,
        Some(how),
        &json!({"how": how}).to_string(),
        now,
    )
    .await?;
    if let Some(c) = m.contact_id {
        prospector_store::enrollments::stop_for_contact(app.db(), ws, ContactId(c), "unsubscribed")
            .await?;
        messages::cancel(
            app.db(),
            ws,
            messages::Selection::Contact(ContactId(c)),
            "the recipient unsubscribed",
        )
        .await?;
    }
    tracing::info!(workspace = ws.0, message = m.id, how, "unsubscribed");
    Ok(m)
}

/// An open pixel was fetched.
pub async fn opened(app: &App, token: &str, v: &Visit<'_>) -> AppResult<()> {
    let Some(m) = messages::find_by_unsubscribe_token(app.db(), token).await? else {
        return Ok(());
    };
    if let Some(why) = bot_reason(v, m.sent_at) {
        tracing::debug!(message = m.id, why, "open ignored");
        return Ok(());
    }
    messages::record(
        app.db(),
        WorkspaceId(m.workspace_id),
        MessageId(m.id),
        Engagement::Opened,
        None,
        "{}",
        v.at,
    )
    .await?;
    Ok(())
}

/// A tracked link was followed; returns where to send the visitor.
pub async fn clicked(app: &App, token: &str, v: &Visit<'_>) -> AppResult<String> {
    let Some(link) = messages::find_link(app.db(), token).await? else {
        return Err(AppError::NotFound);
    };
    let ws = WorkspaceId(link.workspace_id);
    let m = messages::get(app.db(), ws, MessageId(link.message_id)).await?;
    match bot_reason(v, m.sent_at) {
        Some(why) => tracing::debug!(message = m.id, why, "click ignored"),
        None => {
            messages::hit_link(app.db(), token).await?;
            messages::record(
                app.db(),
                ws,
                MessageId(m.id),
                Engagement::Clicked,
                Some(&link.url),
                &json!({"url": link.url}).to_string(),
                v.at,
            )
            .await?;
        }
    }
    Ok(link.url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_are_told_from_people() {
        let person = Visit {
            user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15",
            method: "GET",
            at: 100_000,
        };
        assert_eq!(bot_reason(&person, Some(10_000)), None);
        assert!(bot_reason(&person, Some(99_000)).is_some(), "too fast");
        let head = Visit {
            method: "HEAD",
            ..person
        };
        assert!(bot_reason(&head, None).is_some());
        let scanner = Visit {
            user_agent: "Mozilla/5.0 (compatible; Barracuda Sentinel)",
            method: "GET",
            at: 100_000,
        };
        assert!(bot_reason(&scanner, None).is_some());
    }

    #[test]
    fn links_are_rewritten_except_unsubscribe() {
        let html = r#"<a href="https://a.example/x?y=1&amp;z=2">a</a> <a href="https://p/u/t">u</a> <a href="mailto:x@y">m</a>"#;
        let mut seen = Vec::new();
        let out = rewrite_links(html, "https://p/u/t", |u| {
            seen.push(u.to_string());
            "https://p/t/c/1".into()
        });
        assert_eq!(seen, vec!["https://a.example/x?y=1&z=2"]);
        assert!(out.contains(r#"href="https://p/t/c/1""#));
        assert!(out.contains(r#"href="https://p/u/t""#));
        assert!(out.contains("mailto:x@y"));
    }
}
