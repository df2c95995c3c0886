//! Shared by the web tests: the real app on a random port, a signed-in owner of a seeded
//! workspace (one of everything from `fixtures::seed_isolation`), a cookie client.
#![allow(dead_code)]

use prospector_app::{Actor, App, WsCtx, accounts, testing, workspaces};
use std::collections::BTreeMap;

/// A browser-like client: cookies kept, redirects not followed.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A running app with a signed-in owner.
pub struct Owner {
    pub app: App,
    pub base: String,
    pub slug: String,
    pub ctx: WsCtx,
    /// An API token of the owner.
    pub token: String,
    /// Path-parameter name -> id of the seeded objects.
    pub ids: BTreeMap<String, String>,
    /// Signed in, with the CSRF cookie set.
    pub client: reqwest::Client,
    /// The form token matching the client's CSRF cookie.
    pub csrf: String,
    pub _dir: tempfile::TempDir,
}

/// Serve a fresh app, create `email` owning workspace `ws_name`, seed it and sign in.
pub async fn signed_in_owner(email: &str, ws_name: &str) -> Owner {
    let (app, dir) = testing::app().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(prospector_web::serve(
        app.clone(),
        listener,
        std::future::pending(),
    ));
    let user = accounts::create_user(&app, &Actor::cli(), email, "Owner", "password-123", false)
        .await
        .unwrap();
    let ws = workspaces::create(&app, &Actor::cli(), ws_name, &user)
        .await
        .unwrap();
    let ctx = workspaces::cli_context(&app, &ws.slug).await.unwrap();
    let token = workspaces::create_token(&app, &ctx, user.uid(), "t")
        .await
        .unwrap()
        .token;
    let ids = prospector_app::fixtures::seed_isolation(&app, &ctx, email, "MARK")
        .await
        .unwrap();
    let c = client();
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", email),
            ("password", "password-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-in");
    Owner {
        app,
        base,
        slug: ws.slug,
        ctx,
        token,
        ids,
        client: c,
        csrf,
        _dir: dir,
    }
}
