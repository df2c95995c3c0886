//! The Twilio client against a loopback stand-in that checks the documented request
//! (path, HTTP Basic auth, form fields) and answers with Twilio's documented responses and
//! errors; the stand-in then posts a signed status callback back, which must verify.

mod sms_support;

use axum::http::Method;
use prospector_channels::sms::{
    SmsError, SmsProvider, SmsReason, SmsSandbox, SmsStatus, TwilioClient, TwilioConfig,
    TwilioSender, parse_status_callback, twilio_signature, verify_twilio_request,
};
use serde_json::json;
use sms_support::examples::example;
use sms_support::stub::{Auth, Captured, Stub, closed_port, start_hangup, start_stub};

const SID: &str = "AC1234567890abcdef1234567890abcdef";
const TOKEN: &str = "twilio_auth_token_123";
const FROM: &str = "+15017250604";
const AUTH_ERROR: &str = r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#;

fn created(sid: &str, body: &str) -> String {
    json!({"account_sid":SID,"api_version":"2010-04-01","body":body,"date_created":"Thu, 24 Aug 2023 05:01:45 +0000",
           "date_sent":null,"date_updated":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api",
           "error_code":null,"error_message":null,"from":FROM,"messaging_service_sid":null,"num_media":"0",
           "num_segments":"1","price":null,"price_unit":"USD","sid":sid,"status":"queued","to":"+15558675310",
           "uri":format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json")})
    .to_string()
}

async fn twilio(sender: TwilioSender) -> (TwilioClient, Stub) {
    let (base, stub) = start_stub(
        Auth::Basic {
            user: SID.into(),
            password: TOKEN.into(),
        },
        (401, AUTH_ERROR.into()),
    )
    .await;
    let mut cfg = TwilioConfig::new(SID, TOKEN, sender);
    cfg.api_base = base;
    (TwilioClient::new(cfg).expect("config"), stub)
}

fn check_send_request(c: &Captured) {
    assert_eq!(c.method, Method::POST);
    assert_eq!(c.path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
    assert!(
        c.header("content-type")
            .starts_with("application/x-www-form-urlencoded"),
        "{}",
        c.header("content-type")
    );
    assert!(c.header("authorization").starts_with("Basic "));
}

#[tokio::test]
async fn send_posts_the_documented_form_and_parses_the_201() {
    let (tw, stub) = twilio(TwilioSender::From(FROM.into())).await;
    stub.answer(
        201,
        created("SM1342fe1b2c904d1ab04f0fc7a58abca9", "Hi Bob, café at 5?"),
    );
    let sent = tw
        .send(
            "+15558675310",
            "Hi Bob, café at 5?",
            Some("https://app.example/hooks/sms/status?sender=7"),
        )
        .await
        .expect("sent");
    assert_eq!(
        sent.sid.as_deref(),
        Some("SM1342fe1b2c904d1ab04f0fc7a58abca9")
    );
    assert_eq!(sent.status.as_deref(), Some("queued"));
    assert_eq!(sent.num_segments, Some(1));
    assert_eq!(sent.price, None);
    assert_eq!(sent.price_unit.as_deref(), Some("USD"));
    assert_eq!(sent.error_code, None);
    let c = stub.last();
    check_send_request(&c);
    assert_eq!(
        c.form(),
        vec![
            ("To".to_owned(), "+15558675310".to_owned()),
            ("From".to_owned(), FROM.to_owned()),
            ("Body".to_owned(), "Hi Bob, café at 5?".to_owned()),
            (
                "StatusCallback".to_owned(),
                "https://app.example/hooks/sms/status?sender=7".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn a_messaging_service_replaces_from() {
    let mg = "MG0123456789abcdef0123456789abcdef";
    let (tw, stub) = twilio(TwilioSender::MessagingService(mg.into())).await;
    stub.answer(201, created("SM00000000000000000000000000000001", "Hi"));
    tw.send("+15558675310", "Hi", None).await.expect("sent");
    let c = stub.last();
    check_send_request(&c);
    assert_eq!(c.form_value("MessagingServiceSid").as_deref(), Some(mg));
    assert_eq!(c.form_value("From"), None);
    assert_eq!(c.form_value("StatusCallback"), None);
}

fn twilio_error(code: i64, status: u16, message: &str) -> String {
    json!({"code":code,"message":message,"more_info":format!("https://www.twilio.com/docs/errors/{code}"),"status":status})
        .to_string()
}

#[tokio::test]
async fn twilio_errors_map_to_decisions_and_reasons() {
    let (tw, stub) = twilio(TwilioSender::From(FROM.into())).await;
    let cases: Vec<(u16, String, &str, &str)> = vec![
        (
            400,
            twilio_error(
                21211,
                400,
                "The 'To' number +1555 is not a valid phone number.",
            ),
            "permanent",
            "invalid_number",
        ),
        (
            400,
            twilio_error(21610, 400, "Attempt to send to unsubscribed recipient"),
            "permanent",
            "unsubscribed",
        ),
        (
            400,
            twilio_error(
                21408,
                400,
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
            ),
            "permanent",
            "region_not_enabled",
        ),
        (
            400,
            twilio_error(21614, 400, "'To' number is not a valid mobile number"),
            "permanent",
            "not_mobile",
        ),
        (
            400,
            twilio_error(
                21606,
                400,
                "The 'From' phone number provided is not a valid message-capable Twilio phone number",
            ),
            "config",
            "sender_invalid",
        ),
        (
            400,
            twilio_error(
                21608,
                400,
                "The number is unverified. Trial accounts cannot send messages to unverified numbers",
            ),
            "config",
            "trial_restriction",
        ),
        (
            400,
            twilio_error(30034, 400, "Message from an Unregistered Number"),
            "config",
            "a2p_unregistered",
        ),
        (
            400,
            twilio_error(
                21617,
                400,
                "The concatenated message body exceeds the 1600 character limit",
            ),
            "permanent",
            "invalid_body",
        ),
        (
            429,
            twilio_error(20429, 429, "Too Many Requests"),
            "transient",
            "rate_limited",
        ),
        (
            400,
            twilio_error(30007, 400, "Message filtered"),
            "permanent",
            "carrier_filtered",
        ),
        (
            500,
            twilio_error(20500, 500, "Internal Server Error"),
            "transient",
            "provider_error",
        ),
        (
            503,
            "<html>down</html>".into(),
            "transient",
            "provider_error",
        ),
        (
            404,
            twilio_error(20404, 404, "The requested resource was not found"),
            "config",
            "account_not_found",
        ),
        (
            400,
            twilio_error(99999, 400, "Something new"),
            "permanent",
            "unknown",
        ),
    ];
    for (status, body, kind, reason) in &cases {
        stub.answer(*status, body.clone());
        let e = tw
            .send("+15558675310", "Hi", None)
            .await
            .expect_err("error answer");
        assert_eq!((e.kind(), e.reason().as_str()), (*kind, *reason), "{body}");
        assert_eq!(e.is_retryable(), *kind == "transient");
    }
    stub.answer(
        400,
        twilio_error(
            21211,
            400,
            "The 'To' number +1555 is not a valid phone number.",
        ),
    );
    let e = tw
        .send("+15558675310", "Hi", None)
        .await
        .expect_err("21211");
    assert_eq!(e.code(), Some(21211));
    assert!(e.message().contains("not a valid phone number"));
    assert!(
        e.message()
            .contains("https://www.twilio.com/docs/errors/21211")
    );
    for c in stub.seen() {
        check_send_request(&c);
    }
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_the_stand_in_as_config() {
    let (base, stub) = start_stub(
        Auth::Basic {
            user: SID.into(),
            password: TOKEN.into(),
        },
        (401, AUTH_ERROR.into()),
    )
    .await;
    let mut cfg = TwilioConfig::new(SID, "not-the-token", TwilioSender::From(FROM.into()));
    cfg.api_base = base;
    let tw = TwilioClient::new(cfg).expect("config");
    let e = tw.send("+15558675310", "Hi", None).await.expect_err("401");
    assert!(
        matches!(
            e,
            SmsError::Config {
                reason: SmsReason::AuthFailed,
                code: Some(20003),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test]
async fn lost_answers_and_refused_connections() {
    let mut cfg = TwilioConfig::new(SID, TOKEN, TwilioSender::From(FROM.into()));
    cfg.api_base = start_hangup().await;
    let tw = TwilioClient::new(cfg.clone()).expect("config");
    let e = tw
        .send("+15558675310", "Hi", None)
        .await
        .expect_err("hang up");
    assert!(matches!(e, SmsError::Uncertain { .. }), "{e:?}");
    let e = tw.account_info().await.expect_err("hang up on a read");
    assert_eq!((e.kind(), e.reason()), ("transient", SmsReason::Network));
    cfg.api_base = closed_port();
    let tw = TwilioClient::new(cfg).expect("config");
    let e = tw
        .send("+15558675310", "Hi", None)
        .await
        .expect_err("refused");
    assert_eq!((e.kind(), e.reason()), ("transient", SmsReason::Network));
}

#[tokio::test]
async fn invalid_messages_never_reach_twilio() {
    let (tw, stub) = twilio(TwilioSender::From(FROM.into())).await;
    for to in ["5558675310", "+0123456789", "+1 555 867 5310", ""] {
        assert!(
            matches!(tw.send(to, "Hi", None).await, Err(SmsError::Invalid { .. })),
            "{to}"
        );
    }
    assert!(matches!(
        tw.send("+15558675310", " ", None).await,
        Err(SmsError::Invalid { .. })
    ));
    let long = "a".repeat(1601);
    assert!(matches!(
        tw.send("+15558675310", &long, None).await,
        Err(SmsError::Invalid { .. })
    ));
    assert!(matches!(
        tw.send("+15558675310", "Hi", Some("javascript:alert(1)"))
            .await,
        Err(SmsError::Invalid { .. })
    ));
    assert!(stub.seen().is_empty());
}

#[test]
fn settings_are_checked_up_front() {
    let ok = TwilioConfig::new(SID, TOKEN, TwilioSender::From(FROM.into()));
    assert_eq!(ok.api_base, "https://api.twilio.com");
    assert!(
        !format!("{ok:?}").contains(TOKEN),
        "Debug must not show the token"
    );
    assert!(TwilioClient::new(ok.clone()).is_ok());
    for cfg in [
        TwilioConfig {
            account_sid: "AC123".into(),
            ..ok.clone()
        },
        TwilioConfig {
            account_sid: "../../evil/AC1234567890abcdef12345".into(),
            ..ok.clone()
        },
        TwilioConfig {
            auth_token: "".into(),
            ..ok.clone()
        },
        TwilioConfig {
            sender: TwilioSender::From("5017250604".into()),
            ..ok.clone()
        },
        TwilioConfig {
            sender: TwilioSender::MessagingService("MG1".into()),
            ..ok.clone()
        },
        TwilioConfig {
            api_base: "not a url".into(),
            ..ok.clone()
        },
    ] {
        let e = TwilioClient::new(cfg).expect_err("bad config");
        assert_eq!(e.reason(), SmsReason::BadConfig);
    }
}

#[tokio::test]
async fn account_info_for_the_test_connection_action() {
    let (tw, stub) = twilio(TwilioSender::From(FROM.into())).await;
    stub.answer(
        200,
        json!({"sid":SID,"friendly_name":"Acme","status":"active","type":"Full"}).to_string(),
    );
    let provider = SmsProvider::Twilio(tw.clone());
    let report = provider.test_connection().await.expect("ok");
    assert_eq!(report, "Twilio account Acme (Full, active)");
    let c = stub.last();
    assert_eq!(c.method, Method::GET);
    assert_eq!(c.path, format!("/2010-04-01/Accounts/{SID}.json"));
    stub.answer(
        200,
        json!({"sid":SID,"friendly_name":"Acme","status":"suspended","type":"Full"}).to_string(),
    );
    let e = tw.account_info().await.expect_err("suspended");
    assert_eq!(e.reason(), SmsReason::AccountSuspended);
}

#[tokio::test]
async fn the_stand_in_sends_a_signed_status_callback_that_verifies() {
    let (tw, stub) = twilio(TwilioSender::From(FROM.into())).await;
    stub.answer(201, created("SM1342fe1b2c904d1ab04f0fc7a58abca9", "Hi"));
    let callback = "https://prospector.example/hooks/sms/status/7";
    tw.send("+15558675310", "Hi", Some(callback))
        .await
        .expect("sent");
    // What Twilio would post later to the StatusCallback we gave it, signed with our token.
    let url = stub.last().form_value("StatusCallback").expect("callback");
    let body = example("twilio_status_callback_delivered.form");
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body.trim().as_bytes())
        .into_owned()
        .collect();
    let signature = twilio_signature(TOKEN, &url, &params);
    assert!(
        verify_twilio_request(TOKEN, callback, body.trim().as_bytes(), Some(&signature)).is_ok()
    );
    // Behind a proxy the internal URL differs; only the public one verifies.
    assert!(
        verify_twilio_request(
            TOKEN,
            "http://127.0.0.1:8080/hooks/sms/status/7",
            body.trim().as_bytes(),
            Some(&signature)
        )
        .is_err()
    );
    let cb = parse_status_callback(body.trim().as_bytes()).expect("parse");
    assert_eq!(cb.message_sid, "SM1342fe1b2c904d1ab04f0fc7a58abca9");
    assert_eq!(cb.status, SmsStatus::Delivered);
}

#[tokio::test]
async fn the_provider_enum_drives_twilio_and_sandbox_alike() {
    let (tw, stub) = twilio(TwilioSender::From(FROM.into())).await;
    stub.answer(201, created("SM00000000000000000000000000000002", "Hi"));
    for p in [
        SmsProvider::Twilio(tw),
        SmsProvider::Sandbox(SmsSandbox::new()),
    ] {
        let sent = p.send("+15558675310", "Hi", None).await.expect("sent");
        assert!(sent.sid.is_some(), "{}", p.kind());
    }
}
