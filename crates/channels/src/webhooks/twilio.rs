//! `X-Twilio-Signature`, as twilio-python's `RequestValidator` computes it.
//!
//! - Form POSTs: `base64(HMAC-SHA1(auth token, url + name1 + value1 + name2 + value2 …))`
//!   with every received POST parameter, names sorted by bytes, repeated names with their
//!   values sorted and de-duplicated. Query parameters are not appended: they are already
//!   in the URL. Twilio warns the parameter set changes over time, so all received
//!   parameters are signed, never a fixed list.
//! - JSON bodies: the URL carries `bodySHA256=<hex sha256(body)>`; the signature covers the
//!   URL alone and the body hash is compared too.
//! - The URL is the public one Twilio called (behind a proxy: rebuilt from the configured
//!   public base URL). A signature over the URL with or without the scheme's default port
//!   (`:443`, `:80`) is accepted, because Twilio's own validators do.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::Digest;

use super::{SignatureError, constant_time_eq, hmac_sha1};

pub const TWILIO_SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// The signature Twilio sends for a form POST of `params` to `url` (used by stand-ins).
pub fn twilio_signature<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
) -> String {
    BASE64.encode(raw_signature(auth_token, url, params))
}

/// `url` with `bodySHA256=<hex>` appended, the way Twilio calls a JSON webhook; sign the
/// result with [`twilio_signature`] and no parameters.
pub fn twilio_json_url(url: &str, body: &[u8]) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{sep}bodySHA256={}",
        hex::encode(sha2::Sha256::digest(body))
    )
}

/// Checks a form-encoded request. `params` are all POST parameters as received (duplicates
/// included); `header` is `X-Twilio-Signature`, `None` when absent.
pub fn verify_twilio_form<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let given = decode_header(auth_token, header)?;
    let ok = url_variants(url)
        .iter()
        .any(|u| constant_time_eq(&raw_signature(auth_token, u, params), &given));
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Checks a JSON-body request: the signature over the URL (which must carry `bodySHA256`)
/// and the body's hash against that parameter.
pub fn verify_twilio_json(
    auth_token: &str,
    url: &str,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let given = decode_header(auth_token, header)?;
    let claimed =
        body_sha256_param(url).ok_or(SignatureError::Malformed("the URL has no bodySHA256"))?;
    let no_params: &[(&str, &str)] = &[];
    let sig_ok = url_variants(url)
        .iter()
        .any(|u| constant_time_eq(&raw_signature(auth_token, u, no_params), &given));
    if !sig_ok {
        return Err(SignatureError::Mismatch);
    }
    let actual = hex::encode(sha2::Sha256::digest(body));
    if constant_time_eq(actual.as_bytes(), claimed.to_ascii_lowercase().as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::BodyHashMismatch)
    }
}

/// Either variant, chosen the way Twilio chooses: a URL with `bodySHA256` means a JSON body,
/// anything else is a form body (`application/x-www-form-urlencoded`).
pub fn verify_twilio_request(
    auth_token: &str,
    url: &str,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    if body_sha256_param(url).is_some() {
        return verify_twilio_json(auth_token, url, body, header);
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    verify_twilio_form(auth_token, url, &params, header)
}

fn decode_header(auth_token: &str, header: Option<&str>) -> Result<Vec<u8>, SignatureError> {
    if auth_token.is_empty() {
        return Err(SignatureError::EmptySecret);
    }
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::Missing)?;
    let given = BASE64
        .decode(header)
        .map_err(|_| SignatureError::Malformed("not base64"))?;
    if given.len() != 20 {
        return Err(SignatureError::Malformed("not an HMAC-SHA1"));
    }
    Ok(given)
}

fn raw_signature<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
) -> [u8; 20] {
    let mut sorted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (k, v) in params {
        sorted.entry(k.as_ref()).or_default().insert(v.as_ref());
    }
    let mut msg = String::with_capacity(url.len() + 256);
    msg.push_str(url);
    for (name, values) in &sorted {
        for value in values {
            msg.push_str(name);
            msg.push_str(value);
        }
    }
    hmac_sha1(auth_token.as_bytes(), &[msg.as_bytes()])
}

/// The `bodySHA256` query value, if any (hex needs no percent-decoding).
fn body_sha256_param(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "bodySHA256")
        .map(|(_, v)| v)
}

/// The URL as given, plus the same URL with the scheme's default port removed or added.
/// Built by string surgery, not by a URL parser, because the signed string must keep
/// Twilio's exact spelling (percent-encoding, trailing characters).
fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_owned()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return out,
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    // The port follows the last ':' after any IPv6 literal's closing bracket.
    let after_userinfo = authority.rfind('@').map_or(0, |i| i + 1);
    let after_bracket = authority.rfind(']').map_or(0, |i| i + 1);
    let host_start = after_userinfo.max(after_bracket);
    match authority[host_start..].rfind(':') {
        Some(i) => {
            let colon = host_start + i;
            if &authority[colon + 1..] == default_port {
                out.push(format!("{scheme}://{}{tail}", &authority[..colon]));
            }
        }
        None => out.push(format!("{scheme}://{authority}:{default_port}{tail}")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_variants_add_or_drop_only_the_default_port() {
        assert_eq!(
            url_variants("https://a.example/x?y=1"),
            vec!["https://a.example/x?y=1", "https://a.example:443/x?y=1"]
        );
        assert_eq!(
            url_variants("https://a.example:443/x"),
            vec!["https://a.example:443/x", "https://a.example/x"]
        );
        assert_eq!(
            url_variants("http://a.example:1234/x"),
            vec!["http://a.example:1234/x"]
        );
        assert_eq!(
            url_variants("http://[::1]:80/x"),
            vec!["http://[::1]:80/x", "http://[::1]/x"]
        );
        assert_eq!(
            url_variants("https://u:p@a.example"),
            vec!["https://u:p@a.example", "https://u:p@a.example:443"]
        );
        assert_eq!(url_variants("not a url"), vec!["not a url"]);
    }

    #[test]
    fn json_url_carries_the_body_hash() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let url = twilio_json_url("https://mycompany.com/myapp.php?foo=1&bar=2", body);
        assert_eq!(
            url,
            "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        let sig = twilio_signature("12345", &url, &[] as &[(&str, &str)]);
        assert!(verify_twilio_request("12345", &url, body, Some(&sig)).is_ok());
        assert_eq!(
            verify_twilio_request("12345", &url, b"{}", Some(&sig)),
            Err(SignatureError::BodyHashMismatch)
        );
    }
}
