//! The Graph API client against a loopback stand-in that checks the documented request
//! shapes (path, bearer token, JSON body — compared with the protocols examples) and
//! answers with the documented responses and errors.

mod whatsapp_support;

use axum::http::Method;
use prospector_channels::whatsapp::{
    ButtonSubType, MessageContent, NewTemplate, OutgoingMessage, Parameter, ParameterFormat,
    SendComponent, TemplateButton, TemplateCategory, TemplateComponent, TemplateHeader,
    TemplateSend, TemplateStatus, WaReason, WhatsAppClient, WhatsAppConfig, WhatsAppError,
    WhatsAppProvider, WhatsAppSandbox,
};
use prospector_channels::whatsapp::{Media, MediaKind, MediaSource};
use serde_json::{Value, json};
use whatsapp_support::examples::example;
use whatsapp_support::stub::{Auth, Stub, closed_port, start_hangup, start_stub};

const TOKEN: &str = "EAAtestSystemUserToken";
const PHONE_ID: &str = "123456123";
const WABA_ID: &str = "102290129340398";
const TOKEN_ERROR: &str = r#"{"error":{"message":"Error validating access token: Session has expired on Tuesday, 01-Jul-25 10:00:00 PDT.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbCdEf123"}}"#;

async fn graph() -> (WhatsAppClient, Stub) {
    let (base, stub) = start_stub(Auth::Bearer(TOKEN.into()), (401, TOKEN_ERROR.into())).await;
    (client_at(&base, TOKEN), stub)
}

fn client_at(base: &str, token: &str) -> WhatsAppClient {
    let mut cfg = WhatsAppConfig::new(PHONE_ID, WABA_ID, token);
    cfg.api_base = base.to_owned();
    WhatsAppClient::new(cfg).expect("valid config")
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).expect("example JSON")
}

fn check_send_request(c: &whatsapp_support::stub::Captured) {
    assert_eq!(c.method, Method::POST);
    assert_eq!(c.path, format!("/v23.0/{PHONE_ID}/messages"));
    assert_eq!(c.header("authorization"), format!("Bearer {TOKEN}"));
    assert!(c.header("content-type").starts_with("application/json"));
}

#[tokio::test]
async fn phone_number_info_for_the_test_connection_action() {
    let (wa, stub) = graph().await;
    stub.answer(
        200,
        r#"{"id":"123456123","display_phone_number":"+1 555-010-0100","verified_name":"Acme Café","quality_rating":"GREEN","messaging_limit_tier":"TIER_1K","throughput":{"level":"STANDARD"},"name_status":"APPROVED","code_verification_status":"VERIFIED","platform_type":"CLOUD_API"}"#,
    );
    let info = wa.phone_number_info().await.expect("info");
    assert_eq!(info.verified_name.as_deref(), Some("Acme Café"));
    assert_eq!(info.quality_rating.as_deref(), Some("GREEN"));
    assert_eq!(info.messaging_limit_tier.as_deref(), Some("TIER_1K"));
    assert_eq!(info.throughput_level.as_deref(), Some("STANDARD"));
    assert_eq!(info.daily_limit(), Some(1000));
    assert_eq!(
        info.summary(),
        "Acme Café (+1 555-010-0100), quality GREEN, messaging limit TIER_1K"
    );
    let c = stub.last();
    assert_eq!(c.method, Method::GET);
    assert_eq!(c.path, format!("/v23.0/{PHONE_ID}"));
    assert_eq!(c.header("authorization"), format!("Bearer {TOKEN}"));
    let fields = c.query_value("fields").expect("fields");
    for f in [
        "display_phone_number",
        "verified_name",
        "quality_rating",
        "messaging_limit_tier",
    ] {
        assert!(fields.split(',').any(|x| x == f), "{f} in {fields}");
    }
}

#[tokio::test]
async fn text_send_matches_the_documented_request() {
    let (wa, stub) = graph().await;
    stub.answer(200, example("whatsapp_send_response.json"));
    let sent = wa
        .send_text("+16505551234", "Hi! Thanks for your message.")
        .await
        .expect("sent");
    assert_eq!(
        sent.wamid.as_deref(),
        Some("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA")
    );
    assert_eq!(sent.wa_id.as_deref(), Some("16505551234"));
    assert_eq!(sent.message_status, None);
    let c = stub.last();
    check_send_request(&c);
    assert_eq!(c.json(), parse(&example("whatsapp_send_text_request.json")));
}

#[tokio::test]
async fn template_send_matches_the_documented_request() {
    let (wa, stub) = graph().await;
    stub.answer(
        200,
        example("whatsapp_send_template_response_with_status.json"),
    );
    let t = TemplateSend::new("order_update_v1", "en_US").body_text(["Alex", "A12345", "shipped"]);
    let sent = wa.send_template("12015550123", &t).await.expect("sent");
    assert_eq!(sent.message_status.as_deref(), Some("accepted"));
    assert!(sent.wamid.is_some());
    let c = stub.last();
    check_send_request(&c);
    assert_eq!(
        c.json(),
        parse(&example("whatsapp_send_template_request.json"))
    );
}

#[tokio::test]
async fn template_with_header_button_and_callback_data() {
    let (wa, stub) = graph().await;
    stub.answer(200, example("whatsapp_send_response.json"));
    let t = TemplateSend {
        name: "order_update_v1".into(),
        language: "en_US".into(),
        components: vec![
            SendComponent::Header(vec![Parameter::Media {
                kind: MediaKind::Image,
                source: MediaSource::Id("123456789012345".into()),
                filename: None,
            }]),
            SendComponent::Body(vec![Parameter::text("Alex"), Parameter::text("A12345")]),
            SendComponent::Button {
                sub_type: ButtonSubType::Url,
                index: 0,
                parameters: vec![Parameter::text("A12345")],
            },
        ],
    };
    let msg = OutgoingMessage::new("12015550123", MessageContent::Template(t))
        .with_callback_data("prospector:message:42");
    wa.send(&msg).await.expect("sent");
    let body = stub.last().json();
    // The README's template example, plus our callback data.
    assert_eq!(
        body,
        json!({"messaging_product":"whatsapp","to":"12015550123","type":"template",
          "template":{"name":"order_update_v1","language":{"code":"en_US"},
            "components":[
              {"type":"header","parameters":[{"type":"image","image":{"id":"123456789012345"}}]},
              {"type":"body","parameters":[{"type":"text","text":"Alex"},{"type":"text","text":"A12345"}]},
              {"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"A12345"}]}]},
          "biz_opaque_callback_data":"prospector:message:42"})
    );
}

#[tokio::test]
async fn media_and_mark_read_shapes() {
    let (wa, stub) = graph().await;
    stub.answer(200, example("whatsapp_send_response.json"));
    stub.answer(200, r#"{"success":true}"#);
    let media = Media {
        kind: MediaKind::Document,
        source: MediaSource::Link("https://cdn.example/menu.pdf".into()),
        caption: Some("Our menu".into()),
        filename: Some("menu.pdf".into()),
    };
    wa.send_media("+16505551234", &media).await.expect("sent");
    wa.mark_read("wamid.IN1").await.expect("read");
    let seen = stub.seen();
    assert_eq!(
        seen[0].json(),
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234",
               "type":"document","document":{"link":"https://cdn.example/menu.pdf","caption":"Our menu","filename":"menu.pdf"}})
    );
    check_send_request(&seen[1]);
    assert_eq!(
        seen[1].json(),
        json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN1"})
    );
}

#[tokio::test]
async fn outside_the_window_is_a_clear_permanent_reason() {
    let (wa, stub) = graph().await;
    stub.answer(400, example("whatsapp_send_error_outside_window.json"));
    let e = wa
        .send_text("+16505551234", "Are you still there?")
        .await
        .expect_err("131047");
    assert_eq!(e.reason(), WaReason::OutsideWindow);
    assert_eq!(e.reason().as_str(), "outside_window");
    assert_eq!(e.code(), Some(131047));
    assert!(!e.is_retryable());
    assert!(matches!(e, WhatsAppError::Permanent { .. }));
    assert!(
        e.message().contains("more than 24 hours"),
        "{}",
        e.message()
    );
    assert!(
        e.message().contains("Az8or2yhqkZfEZ-_4Qn_Bam"),
        "{}",
        e.message()
    );
}

fn graph_error(code: i64, message: &str) -> String {
    json!({"error":{"message":message,"type":"OAuthException","code":code,
        "error_data":{"messaging_product":"whatsapp","details":message},"fbtrace_id":"Trace1"}})
    .to_string()
}

#[tokio::test]
async fn graph_errors_map_to_decisions_and_reasons() {
    let (wa, stub) = graph().await;
    // (HTTP status, body, kind, reason)
    let cases: Vec<(u16, String, &str, &str)> = vec![
        (
            400,
            graph_error(130429, "(#130429) Rate limit hit"),
            "transient",
            "rate_limited",
        ),
        (
            400,
            graph_error(
                131056,
                "(#131056) (Business Account, Consumer Account) pair rate limit hit",
            ),
            "transient",
            "pair_rate_limited",
        ),
        (
            400,
            graph_error(80007, "(#80007) Rate limit issues"),
            "transient",
            "rate_limited",
        ),
        (
            400,
            graph_error(4, "(#4) Application request limit reached"),
            "transient",
            "rate_limited",
        ),
        (
            400,
            graph_error(132015, "(#132015) Template is Paused"),
            "permanent",
            "template_paused",
        ),
        (
            400,
            graph_error(132016, "(#132016) Template is Disabled"),
            "permanent",
            "template_disabled",
        ),
        (
            400,
            graph_error(
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
            ),
            "permanent",
            "template_param_mismatch",
        ),
        (
            400,
            graph_error(
                132012,
                "(#132012) Parameter format does not match format in the created template",
            ),
            "permanent",
            "template_param_mismatch",
        ),
        (
            404,
            graph_error(
                132001,
                "(#132001) Template name does not exist in the translation",
            ),
            "permanent",
            "template_not_found",
        ),
        (
            400,
            graph_error(131026, "(#131026) Message Undeliverable"),
            "permanent",
            "recipient_not_on_whatsapp",
        ),
        (
            400,
            graph_error(
                131049,
                "(#131049) This message was not delivered to maintain healthy ecosystem engagement",
            ),
            "permanent",
            "marketing_limit",
        ),
        (
            400,
            graph_error(
                131050,
                "(#131050) Unable to deliver the message. This recipient has chosen to stop receiving marketing messages",
            ),
            "permanent",
            "marketing_opted_out",
        ),
        (
            400,
            graph_error(131008, "(#131008) Required parameter is missing"),
            "permanent",
            "invalid_parameter",
        ),
        (
            400,
            graph_error(133010, "(#133010) Phone number Not Registered"),
            "config",
            "number_not_registered",
        ),
        (
            400,
            graph_error(131031, "(#131031) Business Account locked"),
            "config",
            "account_locked",
        ),
        (
            400,
            graph_error(131042, "(#131042) Business eligibility payment issue"),
            "config",
            "payment_issue",
        ),
        (
            403,
            graph_error(
                10,
                "(#10) Application does not have permission for this action",
            ),
            "config",
            "permission_denied",
        ),
        (
            400,
            graph_error(368, "(#368) Temporarily blocked for policies violations"),
            "config",
            "policy_blocked",
        ),
        (401, TOKEN_ERROR.into(), "config", "token_invalid"),
        (
            500,
            graph_error(131000, "(#131000) Something went wrong"),
            "transient",
            "provider_error",
        ),
        (
            503,
            "<html>Service Unavailable</html>".into(),
            "transient",
            "provider_error",
        ),
        (429, "".into(), "transient", "rate_limited"),
        (
            400,
            graph_error(999_999, "(#999999) Something new"),
            "permanent",
            "unknown",
        ),
    ];
    for (status, body, kind, reason) in &cases {
        stub.answer(*status, body.clone());
        let e = wa
            .send_text("+16505551234", "hello")
            .await
            .expect_err("error answer");
        assert_eq!(
            (e.kind(), e.reason().as_str()),
            (*kind, *reason),
            "{status} {body}"
        );
        assert_eq!(e.is_retryable(), *kind == "transient");
    }
    let token = &stub.seen()[0];
    check_send_request(token);
    let e = {
        stub.answer(401, TOKEN_ERROR);
        wa.phone_number_info().await.expect_err("401")
    };
    assert!(
        e.message().contains("Session has expired"),
        "{}",
        e.message()
    );
    assert!(e.message().contains("subcode 463"), "{}", e.message());
}

#[tokio::test]
async fn a_wrong_token_is_refused_by_the_stand_in_and_reported_as_config() {
    let (base, stub) = start_stub(Auth::Bearer(TOKEN.into()), (401, TOKEN_ERROR.into())).await;
    let wa = client_at(&base, "EAAsomethingElse");
    let e = wa.send_text("+16505551234", "hi").await.expect_err("401");
    assert!(
        matches!(
            e,
            WhatsAppError::Config {
                reason: WaReason::TokenInvalid,
                code: Some(190),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test]
async fn lost_answers_and_refused_connections() {
    let base = start_hangup().await;
    let wa = client_at(&base, TOKEN);
    let e = wa
        .send_text("+16505551234", "hi")
        .await
        .expect_err("hang up");
    assert!(matches!(e, WhatsAppError::Uncertain { .. }), "{e:?}");
    assert!(!e.is_retryable());
    let e = wa.phone_number_info().await.expect_err("hang up on a read");
    assert_eq!((e.kind(), e.reason()), ("transient", WaReason::Network));

    let wa = client_at(&closed_port(), TOKEN);
    let e = wa
        .send_text("+16505551234", "hi")
        .await
        .expect_err("refused");
    assert_eq!((e.kind(), e.reason()), ("transient", WaReason::Network));
}

#[tokio::test]
async fn invalid_messages_never_reach_the_api() {
    let (wa, stub) = graph().await;
    for to in ["", "hello", "+0123", "+1 650 555 1234"] {
        let e = wa.send_text(to, "hi").await.expect_err("bad recipient");
        assert!(matches!(e, WhatsAppError::Invalid { .. }), "{to}: {e:?}");
    }
    let e = wa
        .send_text("+16505551234", "   ")
        .await
        .expect_err("empty");
    assert!(matches!(e, WhatsAppError::Invalid { .. }));
    let t = TemplateSend::new("order_update_v1", "en_US").body_text(["two\nlines"]);
    let e = wa
        .send_template("+16505551234", &t)
        .await
        .expect_err("newline");
    assert!(matches!(e, WhatsAppError::Invalid { .. }));
    assert!(stub.seen().is_empty());
}

#[test]
fn settings_are_checked_up_front() {
    let mut cfg = WhatsAppConfig::new(PHONE_ID, WABA_ID, TOKEN);
    assert_eq!(cfg.api_base, "https://graph.facebook.com");
    assert_eq!(cfg.api_version, "v23.0");
    assert!(
        !format!("{cfg:?}").contains(TOKEN),
        "Debug must not show the token"
    );
    cfg.api_base = "ftp://graph.example".into();
    assert_eq!(
        WhatsAppClient::new(cfg.clone())
            .expect_err("scheme")
            .reason(),
        WaReason::BadConfig
    );
    cfg.api_base = "https://graph.facebook.com".into();
    cfg.api_version = "23".into();
    assert!(matches!(
        WhatsAppClient::new(cfg.clone()),
        Err(WhatsAppError::Config { .. })
    ));
    cfg.api_version = "v21.0".into();
    cfg.phone_number_id = "123/../456".into();
    assert!(matches!(
        WhatsAppClient::new(cfg.clone()),
        Err(WhatsAppError::Config { .. })
    ));
    cfg.phone_number_id = PHONE_ID.into();
    cfg.access_token = " ".into();
    assert!(matches!(
        WhatsAppClient::new(cfg),
        Err(WhatsAppError::Config { .. })
    ));
}

#[tokio::test]
async fn api_version_is_configurable() {
    let (base, stub) = start_stub(Auth::Bearer(TOKEN.into()), (401, TOKEN_ERROR.into())).await;
    let mut cfg = WhatsAppConfig::new(PHONE_ID, WABA_ID, TOKEN);
    cfg.api_base = format!("{base}/");
    cfg.api_version = "v21.0".into();
    let wa = WhatsAppClient::new(cfg).expect("config");
    stub.answer(200, example("whatsapp_send_response.json"));
    wa.send_text("16505551234", "hi").await.expect("sent");
    assert_eq!(stub.last().path, format!("/v21.0/{PHONE_ID}/messages"));
}

// ---------------------------------------------------------------- templates

#[tokio::test]
async fn create_template_matches_the_documented_request() {
    let (wa, stub) = graph().await;
    stub.answer(200, example("whatsapp_create_template_response.json"));
    let t = NewTemplate {
        name: "order_confirmation".into(),
        language: "en_US".into(),
        category: TemplateCategory::Utility,
        parameter_format: ParameterFormat::Positional,
        components: vec![TemplateComponent::body(
            "Hi {{1}}, your order {{2}} is confirmed.",
            ["Pablo", "860198-230332"],
        )],
    };
    let created = wa.create_template(&t).await.expect("created");
    assert_eq!(created.id, "572279198452421");
    assert_eq!(created.status, TemplateStatus::Pending);
    assert_eq!(created.category, TemplateCategory::Utility);
    let c = stub.last();
    assert_eq!(c.method, Method::POST);
    assert_eq!(c.path, format!("/v23.0/{WABA_ID}/message_templates"));
    assert_eq!(c.header("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(
        c.json(),
        parse(&example("whatsapp_create_template_request.json"))
    );
}

#[tokio::test]
async fn create_template_with_every_component() {
    let (wa, stub) = graph().await;
    stub.answer(
        200,
        r#"{"id":"1","status":"PENDING","category":"MARKETING"}"#,
    );
    let t = NewTemplate {
        name: "spring_offer".into(),
        language: "es_ES".into(),
        category: TemplateCategory::Marketing,
        parameter_format: ParameterFormat::Positional,
        components: vec![
            TemplateComponent::Header(TemplateHeader::Text {
                text: "Oferta de {{1}}".into(),
                example: Some("primavera".into()),
            }),
            TemplateComponent::body("Hola {{1}}, {{2}} de descuento.", ["Ana", "20%"]),
            TemplateComponent::Footer {
                text: "Responde STOP para no recibir más".into(),
            },
            TemplateComponent::Buttons(vec![
                TemplateButton::QuickReply {
                    text: "Me interesa".into(),
                },
                TemplateButton::Url {
                    text: "Ver oferta".into(),
                    url: "https://shop.example/o/{{1}}".into(),
                    example: Some("https://shop.example/o/spring".into()),
                },
                TemplateButton::PhoneNumber {
                    text: "Llamar".into(),
                    phone_number: "+34910000000".into(),
                },
            ]),
        ],
    };
    wa.create_template(&t).await.expect("created");
    assert_eq!(
        stub.last().json(),
        json!({"name":"spring_offer","language":"es_ES","category":"MARKETING","components":[
            {"type":"HEADER","format":"TEXT","text":"Oferta de {{1}}","example":{"header_text":["primavera"]}},
            {"type":"BODY","text":"Hola {{1}}, {{2}} de descuento.","example":{"body_text":[["Ana","20%"]]}},
            {"type":"FOOTER","text":"Responde STOP para no recibir más"},
            {"type":"BUTTONS","buttons":[
                {"type":"QUICK_REPLY","text":"Me interesa"},
                {"type":"URL","text":"Ver oferta","url":"https://shop.example/o/{{1}}","example":["https://shop.example/o/spring"]},
                {"type":"PHONE_NUMBER","text":"Llamar","phone_number":"+34910000000"}]}]})
    );
    let p = t.preview();
    assert_eq!(p.header.as_deref(), Some("Oferta de primavera"));
    assert_eq!(p.body, "Hola Ana, 20% de descuento.");
    assert_eq!(p.buttons, vec!["Me interesa", "Ver oferta", "Llamar"]);
}

#[tokio::test]
async fn an_invalid_template_is_not_submitted() {
    let (wa, stub) = graph().await;
    let t = NewTemplate {
        name: "order_confirmation".into(),
        language: "en_US".into(),
        category: TemplateCategory::Utility,
        parameter_format: ParameterFormat::Positional,
        components: vec![TemplateComponent::body("Hi {{1}}, order {{2}}", ["Pablo"])],
    };
    let e = wa.create_template(&t).await.expect_err("missing example");
    assert!(matches!(e, WhatsAppError::Invalid { .. }), "{e:?}");
    assert!(stub.seen().is_empty());
}

#[tokio::test]
async fn list_templates_follows_the_paging_cursor() {
    let (wa, stub) = graph().await;
    stub.answer(
        200,
        json!({"data":[
            {"name":"order_confirmation","components":[{"type":"BODY","text":"Hi {{1}}, your order {{2}} is confirmed.","example":{"body_text":[["Pablo","860198-230332"]]}}],
             "language":"en_US","status":"APPROVED","category":"UTILITY","id":"572279198452421"},
            {"name":"spring_offer","components":[{"type":"HEADER","format":"IMAGE","example":{"header_handle":["4::aW1h"]}},{"type":"BODY","text":"Hola"},{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop"}]}],
             "language":"es_ES","status":"REJECTED","category":"MARKETING","id":"111","rejected_reason":"INVALID_FORMAT"}],
          "paging":{"cursors":{"before":"QVFIUb","after":"QVFIUa"},
            "next":"https://graph.facebook.com/v23.0/102290129340398/message_templates?limit=100&after=QVFIUa"}})
        .to_string(),
    );
    stub.answer(
        200,
        json!({"data":[{"name":"welcome","components":[{"type":"BODY","text":"Welcome {{1}}"}],"language":"en","status":"PAUSED","category":"MARKETING","id":"222","quality_score":{"score":"RED"}}],
               "paging":{"cursors":{"before":"QVFIUc","after":"QVFIUd"}}})
        .to_string(),
    );
    let list = wa.list_templates(None).await.expect("list");
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].name, "order_confirmation");
    assert_eq!(list[0].status, TemplateStatus::Approved);
    assert!(list[0].status.is_sendable());
    assert_eq!(list[0].body_param_count(), 2);
    assert_eq!(
        list[0].preview().body,
        "Hi Pablo, your order 860198-230332 is confirmed."
    );
    assert_eq!(list[1].status, TemplateStatus::Rejected);
    assert_eq!(list[1].rejected_reason.as_deref(), Some("INVALID_FORMAT"));
    assert_eq!(list[1].preview().header.as_deref(), Some("[IMAGE]"));
    assert_eq!(list[2].status, TemplateStatus::Paused);
    assert!(!list[2].status.is_sendable());
    assert_eq!(list[2].quality_score.as_deref(), Some("RED"));
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    for c in &seen {
        assert_eq!(c.method, Method::GET);
        assert_eq!(c.path, format!("/v23.0/{WABA_ID}/message_templates"));
        assert_eq!(c.header("authorization"), format!("Bearer {TOKEN}"));
        assert_eq!(c.query_value("limit").as_deref(), Some("100"));
    }
    assert_eq!(seen[0].query_value("after"), None);
    assert_eq!(seen[1].query_value("after").as_deref(), Some("QVFIUa"));

    stub.answer(200, r#"{"data":[],"paging":{"cursors":{}}}"#);
    assert!(
        wa.list_templates(Some("order_confirmation"))
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        stub.last().query_value("name").as_deref(),
        Some("order_confirmation")
    );
}

#[tokio::test]
async fn delete_template_by_name() {
    let (wa, stub) = graph().await;
    stub.answer(200, r#"{"success":true}"#);
    wa.delete_template("order_confirmation")
        .await
        .expect("deleted");
    let c = stub.last();
    assert_eq!(c.method, Method::DELETE);
    assert_eq!(c.path, format!("/v23.0/{WABA_ID}/message_templates"));
    assert_eq!(c.query_value("name").as_deref(), Some("order_confirmation"));
    assert_eq!(c.header("authorization"), format!("Bearer {TOKEN}"));

    stub.answer(200, r#"{"success":true}"#);
    wa.delete_template_by_id("order_confirmation", "572279198452421")
        .await
        .expect("deleted");
    assert_eq!(
        stub.last().query_value("hsm_id").as_deref(),
        Some("572279198452421")
    );

    stub.answer(400, graph_error(100, "(#100) Invalid parameter"));
    let e = wa.delete_template("missing_one").await.expect_err("error");
    assert_eq!(e.reason(), WaReason::InvalidParameter);
    assert!(matches!(
        wa.delete_template("Bad Name").await,
        Err(WhatsAppError::Invalid { .. })
    ));
}

#[tokio::test]
async fn the_provider_enum_drives_cloud_and_sandbox_alike() {
    let (wa, stub) = graph().await;
    stub.answer(200, example("whatsapp_send_response.json"));
    let msg = OutgoingMessage::new(
        "+16505551234",
        MessageContent::Text {
            body: "hi".into(),
            preview_url: false,
        },
    );
    for p in [
        WhatsAppProvider::Cloud(wa),
        WhatsAppProvider::Sandbox(WhatsAppSandbox::default()),
    ] {
        let sent = p.send(&msg).await.expect("sent");
        assert!(sent.wamid.is_some(), "{}", p.kind());
    }
}
