//! Webhook parsing of every documented WhatsApp payload (the protocols examples and the
//! shapes of its section 1.4), signature checks on the raw bytes, and template previews.

mod whatsapp_support;

use prospector_channels::whatsapp::{
    ErrorClass, InboundContent, MediaKind, MessageStatus, TemplateCategory, TemplateComponent,
    TemplateStatus, WaReason, WebhookError, WhatsAppEvent, meta_signature, parse_webhook, preview,
    render_placeholders, verify_meta_signature,
};
use serde_json::{Value, json};
use whatsapp_support::examples::example;

fn envelope(field: &str, value: Value) -> Vec<u8> {
    json!({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1751247548,
        "changes":[{"field":field,"value":value}]}]})
    .to_string()
    .into_bytes()
}

fn messages_value(extra: Value) -> Value {
    let mut v = json!({"messaging_product":"whatsapp",
        "metadata":{"display_phone_number":"16505551111","phone_number_id":"123456123"}});
    if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        for (k, val) in extra {
            obj.insert(k.clone(), val.clone());
        }
    }
    v
}

#[test]
fn the_dashboard_sample_is_an_inbound_text() {
    let body = example("whatsapp_messages_dashboard_sample.json");
    let events = parse_webhook(body.as_bytes()).expect("parse");
    assert_eq!(events.len(), 1);
    let WhatsAppEvent::Message(m) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(m.from, "16315551181");
    assert_eq!(m.id, "ABGGFlA5Fpa");
    assert_eq!(m.timestamp, 1_504_902_988);
    assert_eq!(m.profile_name.as_deref(), Some("test user name"));
    assert_eq!(m.number.phone_number_id, "123456123");
    assert_eq!(m.number.display_phone_number, "16505551111");
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "this is a text message".into()
        }
    );
    assert_eq!(m.content.text(), Some("this is a text message"));
}

#[test]
fn statuses_with_pricing_conversation_and_errors() {
    let body = envelope(
        "messages",
        messages_value(json!({"statuses":[
            {"id":"wamid.A","status":"sent","timestamp":"1700000000","recipient_id":"16505551234",
             "conversation":{"id":"CONV1","expiration_timestamp":"1700086400","origin":{"type":"marketing"}},
             "pricing":{"billable":true,"pricing_model":"CBP","category":"marketing"},
             "biz_opaque_callback_data":"prospector:message:42"},
            {"id":"wamid.A","status":"read","timestamp":"1700000100","recipient_id":"16505551234"},
            {"id":"wamid.A","status":"delivered","timestamp":"1700000050","recipient_id":"16505551234",
             "pricing":{"billable":true,"pricing_model":"PMP","category":"utility","type":"regular"}},
            {"id":"wamid.B","status":"failed","timestamp":1700000200,"recipient_id":"16505550000",
             "errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message",
               "error_data":{"details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
               "href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]}
        ]})),
    );
    let events = parse_webhook(&body).expect("parse");
    let statuses: Vec<_> = events
        .iter()
        .map(|e| match e {
            WhatsAppEvent::Status(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(statuses.len(), 4);
    let sent = &statuses[0];
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.timestamp, 1_700_000_000);
    assert_eq!(sent.callback_data.as_deref(), Some("prospector:message:42"));
    let conv = sent.conversation.as_ref().expect("conversation");
    assert_eq!(conv.id.as_deref(), Some("CONV1"));
    assert_eq!(conv.expiration_timestamp, Some(1_700_086_400));
    assert_eq!(conv.origin_type.as_deref(), Some("marketing"));
    let pricing = sent.pricing.as_ref().expect("pricing");
    assert_eq!(pricing.billable, Some(true));
    assert_eq!(pricing.category.as_deref(), Some("marketing"));
    assert_eq!(
        statuses[2]
            .pricing
            .as_ref()
            .and_then(|p| p.pricing_type.as_deref()),
        Some("regular")
    );
    assert_eq!(sent.dedup_key(), "wamid.A:sent");

    // Out of order: read arrived before delivered; the rank keeps read.
    let furthest = statuses[..3]
        .iter()
        .max_by_key(|s| s.status.rank())
        .expect("some");
    assert_eq!(furthest.status, MessageStatus::Read);

    let failed = &statuses[3];
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(
        failed.timestamp, 1_700_000_200,
        "numeric timestamps are accepted too"
    );
    assert_eq!(failed.errors.len(), 1);
    assert_eq!(failed.errors[0].code, Some(131047));
    assert_eq!(
        failed.errors[0].classify(),
        (ErrorClass::Permanent, WaReason::OutsideWindow)
    );
    assert!(
        failed.errors[0]
            .describe()
            .starts_with("(131047) Re-engagement message: Message failed")
    );
}

#[test]
fn every_inbound_message_type() {
    let body = envelope(
        "messages",
        messages_value(json!({
        "contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"16315551234"}],
        "messages":[
            {"from":"16315551234","id":"wamid.1","timestamp":"1","type":"image",
             "image":{"caption":"Our menu","mime_type":"image/jpeg","sha256":"abc","id":"MEDIA1"}},
            {"from":"16315551234","id":"wamid.2","timestamp":"2","type":"audio",
             "audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"def","id":"MEDIA2","voice":true}},
            {"from":"16315551234","id":"wamid.3","timestamp":"3","type":"document",
             "document":{"filename":"cv.pdf","mime_type":"application/pdf","sha256":"x","id":"MEDIA3"}},
            {"from":"16315551234","id":"wamid.4","timestamp":"4","type":"sticker",
             "sticker":{"mime_type":"image/webp","sha256":"y","id":"MEDIA4","animated":false}},
            {"from":"16315551234","id":"wamid.5","timestamp":"5","type":"location",
             "location":{"latitude":38.9,"longitude":-77.03,"name":"Office","address":"1 Main St"}},
            {"from":"16315551234","id":"wamid.6","timestamp":"6","type":"contacts",
             "contacts":[{"name":{"formatted_name":"Ana Pérez","first_name":"Ana"},"phones":[{"phone":"+1 555 0100","wa_id":"15550100","type":"CELL"}]}]},
            {"from":"16315551234","id":"wamid.7","timestamp":"7","type":"interactive",
             "context":{"from":"16505551111","id":"wamid.OURS"},
             "interactive":{"type":"button_reply","button_reply":{"id":"yes-1","title":"Yes, call me"}}},
            {"from":"16315551234","id":"wamid.8","timestamp":"8","type":"interactive",
             "interactive":{"type":"list_reply","list_reply":{"id":"slot-2","title":"Tuesday","description":"10:00"}}},
            {"from":"16315551234","id":"wamid.9","timestamp":"9","type":"interactive",
             "interactive":{"type":"nfm_reply","nfm_reply":{"response_json":"{\"flow_token\":\"t\"}","body":"Sent","name":"flow"}}},
            {"from":"16315551234","id":"wamid.10","timestamp":"10","type":"button",
             "context":{"from":"16505551111","id":"wamid.TEMPLATE"},
             "button":{"payload":"STOP_PROMOS","text":"Stop promotions"}},
            {"from":"16315551234","id":"wamid.11","timestamp":"11","type":"reaction",
             "reaction":{"message_id":"wamid.OURS","emoji":"👍"}},
            {"from":"16315551234","id":"wamid.12","timestamp":"12","type":"reaction",
             "reaction":{"message_id":"wamid.OURS"}},
            {"from":"16315551234","id":"wamid.13","timestamp":"13","type":"text","text":{"body":"Hi, I saw your ad"},
             "referral":{"source_url":"https://fb.me/ad","source_id":"ADID","source_type":"ad","headline":"Spring sale",
               "body":"20% off","media_type":"image","image_url":"https://x","ctwa_clid":"CLID1"}},
            {"from":"16315551234","id":"wamid.14","timestamp":"14","type":"system",
             "system":{"body":"User A changed from 16315551234 to 16315550000","wa_id":"16315550000","type":"user_changed_number"}},
            {"from":"16315551234","id":"wamid.15","timestamp":"15","type":"unsupported",
             "errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}]},
            {"from":"16315551234","id":"wamid.16","timestamp":"16","type":"order",
             "order":{"catalog_id":"C1","product_items":[{"product_retailer_id":"P1","quantity":"1"}]}},
            {"from":"16315551234","id":"wamid.17","timestamp":"17","type":"hologram","hologram":{}}
        ]})),
    );
    let events = parse_webhook(&body).expect("parse");
    let msgs: Vec<_> = events
        .into_iter()
        .map(|e| match e {
            WhatsAppEvent::Message(m) => m,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(msgs.len(), 17);
    assert!(
        msgs.iter()
            .all(|m| m.profile_name.as_deref() == Some("Kerry Fisher"))
    );
    match &msgs[0].content {
        InboundContent::Media {
            kind,
            id,
            caption,
            mime_type,
            ..
        } => {
            assert_eq!(
                (*kind, id.as_str(), caption.as_deref()),
                (MediaKind::Image, "MEDIA1", Some("Our menu"))
            );
            assert_eq!(mime_type.as_deref(), Some("image/jpeg"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &msgs[1].content,
        InboundContent::Media {
            kind: MediaKind::Audio,
            voice: true,
            ..
        }
    ));
    assert!(
        matches!(&msgs[2].content, InboundContent::Media { kind: MediaKind::Document, filename: Some(f), .. } if f == "cv.pdf")
    );
    assert!(matches!(
        &msgs[3].content,
        InboundContent::Media {
            kind: MediaKind::Sticker,
            ..
        }
    ));
    assert_eq!(
        msgs[4].content,
        InboundContent::Location {
            latitude: 38.9,
            longitude: -77.03,
            name: Some("Office".into()),
            address: Some("1 Main St".into())
        }
    );
    match &msgs[5].content {
        InboundContent::Contacts(c) => {
            assert_eq!(c[0].formatted_name.as_deref(), Some("Ana Pérez"));
            assert_eq!(c[0].phones, vec!["15550100"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        msgs[6].content,
        InboundContent::ButtonReply {
            id: "yes-1".into(),
            title: "Yes, call me".into()
        }
    );
    assert_eq!(
        msgs[6].context.as_ref().and_then(|c| c.id.as_deref()),
        Some("wamid.OURS")
    );
    assert!(
        matches!(&msgs[7].content, InboundContent::ListReply { id, description: Some(d), .. } if id == "slot-2" && d == "10:00")
    );
    assert!(
        matches!(&msgs[8].content, InboundContent::FlowReply { response_json: Some(j), .. } if j.contains("flow_token"))
    );
    assert_eq!(
        msgs[9].content,
        InboundContent::TemplateButton {
            payload: Some("STOP_PROMOS".into()),
            text: "Stop promotions".into()
        }
    );
    assert_eq!(msgs[9].content.text(), Some("Stop promotions"));
    assert_eq!(
        msgs[10].content,
        InboundContent::Reaction {
            message_id: "wamid.OURS".into(),
            emoji: Some("👍".into())
        }
    );
    assert!(matches!(
        &msgs[11].content,
        InboundContent::Reaction { emoji: None, .. }
    ));
    let referral = msgs[12].referral.as_ref().expect("referral");
    assert_eq!(referral.source_type.as_deref(), Some("ad"));
    assert_eq!(referral.ctwa_clid.as_deref(), Some("CLID1"));
    assert_eq!(referral.headline.as_deref(), Some("Spring sale"));
    assert!(
        matches!(&msgs[13].content, InboundContent::System { new_wa_id: Some(w), .. } if w == "16315550000")
    );
    match &msgs[14].content {
        InboundContent::Unsupported { errors } => {
            assert_eq!(errors[0].code, Some(131051));
            assert_eq!(errors[0].classify().1, WaReason::UnsupportedMessage);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&msgs[15].content, InboundContent::Order(v) if v["catalog_id"] == "C1"));
    assert!(matches!(&msgs[16].content, InboundContent::Other { kind, .. } if kind == "hologram"));
}

#[test]
fn template_status_updates() {
    let approved = envelope(
        "message_template_status_update",
        json!({"event":"APPROVED","message_template_id":1689556908129832u64,"message_template_name":"order_confirmation",
               "message_template_language":"en-US","reason":"NONE","message_template_category":"UTILITY"}),
    );
    let events = parse_webhook(&approved).expect("parse");
    let WhatsAppEvent::TemplateStatus(t) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(t.event, TemplateStatus::Approved);
    assert_eq!(t.template_id, "1689556908129832");
    assert_eq!(t.template_name, "order_confirmation");
    assert_eq!(t.language, "en-US");
    assert_eq!(t.reason, None, "NONE means no reason");
    assert_eq!(t.category, Some(TemplateCategory::Utility));
    assert_eq!(t.waba_id, "102290129340398");
    assert_eq!(t.time, Some(1_751_247_548));

    let rejected = envelope(
        "message_template_status_update",
        json!({"event":"REJECTED","message_template_id":1689556908129835u64,"message_template_name":"abandoned_cart",
               "message_template_language":"en","reason":"INVALID_FORMAT","message_template_category":"MARKETING",
               "rejection_info":{"reason":"Your template has parameters placed next to each other (like {{1}}{{2}}) without text or punctuation between them.",
                                 "recommendation":"Separate parameters with descriptive text and ensure each parameter is clearly contextualized."}}),
    );
    let events = parse_webhook(&rejected).expect("parse");
    let WhatsAppEvent::TemplateStatus(t) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(t.event, TemplateStatus::Rejected);
    assert_eq!(t.reason.as_deref(), Some("INVALID_FORMAT"));
    assert!(
        t.display_reason()
            .expect("reason")
            .starts_with("Your template has parameters placed next")
    );
    assert!(
        t.recommendation
            .as_deref()
            .is_some_and(|r| r.starts_with("Separate"))
    );

    let paused = envelope(
        "message_template_status_update",
        json!({"event":"PAUSED","message_template_id":"42","message_template_name":"promo","message_template_language":"en_US",
               "reason":null,"other_info":{"title":"FIRST_PAUSE","description":"Your template has been paused for 3 hours."}}),
    );
    let events = parse_webhook(&paused).expect("parse");
    let WhatsAppEvent::TemplateStatus(t) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(t.event, TemplateStatus::Paused);
    assert_eq!(t.reason, None);
    assert_eq!(t.other_title.as_deref(), Some("FIRST_PAUSE"));
    assert_eq!(
        t.display_reason().as_deref(),
        Some("Your template has been paused for 3 hours.")
    );

    let disabled = envelope(
        "message_template_status_update",
        json!({"event":"DISABLED","message_template_id":43,"message_template_name":"promo2","message_template_language":"en_US",
               "reason":"NONE","disable_info":{"disable_date":"1751234563"}}),
    );
    let events = parse_webhook(&disabled).expect("parse");
    let WhatsAppEvent::TemplateStatus(t) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(t.event, TemplateStatus::Disabled);
    assert_eq!(t.disable_date, Some(1_751_234_563));
    assert!(!t.event.is_sendable());
}

#[test]
fn quality_category_and_preference_updates() {
    for field in [
        "message_template_quality_update",
        "message_template_status_update",
    ] {
        let body = envelope(
            field,
            json!({"previous_quality_score":"GREEN","new_quality_score":"YELLOW","message_template_id":806312974732579u64,
                   "message_template_name":"welcome_template","message_template_language":"en-US"}),
        );
        let events = parse_webhook(&body).expect("parse");
        let WhatsAppEvent::TemplateQuality(q) = &events[0] else {
            panic!("{field}: {events:?}")
        };
        assert_eq!(q.new_quality_score.as_deref(), Some("YELLOW"));
        assert_eq!(q.template_id, "806312974732579");
    }

    let notice = envelope(
        "template_category_update",
        json!({"message_template_id":278077987957091u64,"message_template_name":"welcome_template","message_template_language":"en-US",
               "new_category":"UTILITY","correct_category":"MARKETING","category_update_timestamp":1746169200}),
    );
    let events = parse_webhook(&notice).expect("parse");
    let WhatsAppEvent::TemplateCategory(c) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(c.correct_category, Some(TemplateCategory::Marketing));
    assert_eq!(c.update_timestamp, Some(1_746_169_200));
    let done = envelope(
        "template_category_update",
        json!({"message_template_id":278077987957091u64,"message_template_name":"welcome_template","message_template_language":"en-US",
               "previous_category":"UTILITY","new_category":"MARKETING"}),
    );
    let events = parse_webhook(&done).expect("parse");
    let WhatsAppEvent::TemplateCategory(c) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(c.previous_category, Some(TemplateCategory::Utility));
    assert_eq!(c.new_category, Some(TemplateCategory::Marketing));

    let prefs = envelope(
        "user_preferences",
        messages_value(json!({
            "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],
            "user_preferences":[
                {"wa_id":"16505551234","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1731705721},
                {"wa_id":"16505551234","detail":"User requested to resume marketing messages","category":"marketing_messages","value":"resume","timestamp":1731705800}]})),
    );
    let events = parse_webhook(&prefs).expect("parse");
    assert_eq!(events.len(), 2);
    let WhatsAppEvent::UserPreference(p) = &events[0] else {
        panic!("{events:?}")
    };
    assert!(p.stopped);
    assert_eq!(p.wa_id, "16505551234");
    assert_eq!(p.category, "marketing_messages");
    assert_eq!(p.number.phone_number_id, "123456123");
    assert!(matches!(&events[1], WhatsAppEvent::UserPreference(p) if !p.stopped));
}

#[test]
fn unknown_fields_and_malformed_items_do_not_fail_the_delivery() {
    let body = json!({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
        {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}},
        {"field":"messages","value":{"metadata":{"phone_number_id":"1"},
            "statuses":[{"status":"sent"}, {"id":"wamid.X","status":"delivered","timestamp":"5","recipient_id":"1"}],
            "messages":[{"id":"wamid.Y","type":"text"}]}}
    ]}]})
    .to_string();
    let events = parse_webhook(body.as_bytes()).expect("parse");
    assert_eq!(events.len(), 4);
    assert!(matches!(&events[0], WhatsAppEvent::Other { field, .. } if field == "account_update"));
    assert!(matches!(&events[1], WhatsAppEvent::Unparsed { field, .. } if field == "messages"));
    assert!(matches!(&events[2], WhatsAppEvent::Status(s) if s.wamid == "wamid.X"));
    assert!(matches!(&events[3], WhatsAppEvent::Unparsed { .. }));

    assert!(matches!(
        parse_webhook(b"not json"),
        Err(WebhookError::NotJson(_))
    ));
    assert_eq!(
        parse_webhook(br#"{"object":"page","entry":[]}"#),
        Err(WebhookError::WrongObject("page".into()))
    );
    assert_eq!(
        parse_webhook(br#"{"object":"whatsapp_business_account"}"#),
        Ok(vec![])
    );
    // Deeply wrong shapes are tolerated, never a panic.
    for junk in [
        r#"{"object":"whatsapp_business_account","entry":"x"}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":[]}]}]}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":1,"id":2,"timestamp":{},"type":"location","location":{"latitude":"x"}}]}}]}]}"#,
        r#"[]"#,
    ] {
        let _ = parse_webhook(junk.as_bytes());
    }
}

#[test]
fn a_signed_delivery_is_checked_on_the_raw_bytes_before_parsing() {
    let secret = "test_app_secret";
    let body = example("whatsapp_messages_dashboard_sample.json");
    let header = meta_signature(secret, body.as_bytes());
    assert!(verify_meta_signature(secret, body.as_bytes(), Some(&header)).is_ok());
    // The same JSON re-serialised (compact) is different bytes and must not pass.
    let reserialised =
        serde_json::to_vec(&serde_json::from_str::<Value>(&body).expect("json")).expect("ser");
    assert!(verify_meta_signature(secret, &reserialised, Some(&header)).is_err());
    assert!(verify_meta_signature(secret, body.as_bytes(), None).is_err());
    assert_eq!(parse_webhook(body.as_bytes()).expect("parse").len(), 1);
}

#[test]
fn previews_render_parameters_as_the_phone_shows_them() {
    let comps = vec![
        TemplateComponent::Header(prospector_channels::whatsapp::TemplateHeader::Text {
            text: "Order {{1}}".into(),
            example: Some("#123".into()),
        }),
        TemplateComponent::body(
            "Hi {{1}}, your order {{2}} is *confirmed*.",
            ["Pablo", "860198-230332"],
        ),
        TemplateComponent::Footer {
            text: "Reply STOP to opt out".into(),
        },
        TemplateComponent::Buttons(vec![
            prospector_channels::whatsapp::TemplateButton::QuickReply {
                text: "Track".into(),
            },
            prospector_channels::whatsapp::TemplateButton::CopyCode {
                example: "SAVE30".into(),
            },
        ]),
    ];
    let p = preview(&comps, None, None);
    assert_eq!(p.header.as_deref(), Some("Order #123"));
    assert_eq!(p.body, "Hi Pablo, your order 860198-230332 is *confirmed*.");
    assert_eq!(
        p.to_string(),
        "Order #123\nHi Pablo, your order 860198-230332 is *confirmed*.\nReply STOP to opt out\n[ Track ]\n[ Copy code ]"
    );
    let params = vec!["Ana".to_owned(), "A-1".to_owned()];
    let p = preview(&comps, Some(&["#9".to_owned()]), Some(&params));
    assert_eq!(p.header.as_deref(), Some("Order #9"));
    assert_eq!(p.body, "Hi Ana, your order A-1 is *confirmed*.");
    // A missing parameter stays visible.
    assert_eq!(
        render_placeholders("Hi {{1}}, order {{2}}", &params[..1]),
        "Hi Ana, order {{2}}"
    );
}
