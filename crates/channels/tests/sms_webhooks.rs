//! Status callbacks and inbound SMS (the protocols example forms), STOP/START/HELP
//! keywords, and segment counting (table tests and a property test).

mod sms_support;

use proptest::prelude::*;
use prospector_channels::sms::{
    EMPTY_TWIML, Keyword, SmsEncoding, SmsErrorClass, SmsReason, SmsStatus, SmsWebhookError,
    classify_code, classify_keyword, gsm7_septets, parse_inbound, parse_status_callback, segments,
    twiml_reply,
};
use sms_support::examples::example;

#[test]
fn delivered_and_undelivered_callbacks() {
    let body = example("twilio_status_callback_delivered.form");
    let cb = parse_status_callback(body.trim().as_bytes()).expect("parse");
    assert_eq!(cb.message_sid, "SM1342fe1b2c904d1ab04f0fc7a58abca9");
    assert_eq!(cb.status, SmsStatus::Delivered);
    assert!(cb.status.is_final());
    assert_eq!(cb.to.as_deref(), Some("+15558675310"));
    assert_eq!(cb.from.as_deref(), Some("+15017250604"));
    assert_eq!(
        cb.account_sid.as_deref(),
        Some("AC1234567890abcdef1234567890abcdef")
    );
    assert_eq!(cb.error_code, None);
    assert_eq!(cb.error_class(), None);
    assert_eq!(
        cb.dedup_key(),
        "SM1342fe1b2c904d1ab04f0fc7a58abca9:delivered"
    );
    assert_eq!(cb.params.len(), 8, "every received parameter is kept");

    let body = example("twilio_status_callback_undelivered.form");
    let cb = parse_status_callback(body.trim().as_bytes()).expect("parse");
    assert_eq!(cb.status, SmsStatus::Undelivered);
    assert_eq!(cb.error_code, Some(30003));
    assert_eq!(
        cb.error_class(),
        Some((SmsErrorClass::Permanent, SmsReason::Unreachable))
    );

    // Out of order: a late "sent" never moves a delivered message back.
    assert!(SmsStatus::Sent.rank() < SmsStatus::Delivered.rank());
    assert!(SmsStatus::Queued.rank() < SmsStatus::Sending.rank());

    // The legacy names alone are enough.
    let cb = parse_status_callback(b"SmsSid=SM1&SmsStatus=sent").expect("legacy");
    assert_eq!(
        (cb.message_sid.as_str(), cb.status),
        ("SM1", SmsStatus::Sent)
    );
    assert_eq!(
        parse_status_callback(b"MessageStatus=sent"),
        Err(SmsWebhookError::Missing("MessageSid"))
    );
    assert_eq!(
        parse_status_callback(b"MessageSid=SM1"),
        Err(SmsWebhookError::Missing("MessageStatus"))
    );
}

#[test]
fn inbound_stop_is_an_opt_out() {
    let body = example("twilio_inbound_sms_stop.form");
    let sms = parse_inbound(body.trim().as_bytes()).expect("parse");
    assert_eq!(sms.message_sid, "SM0123456789abcdef0123456789abcdef");
    assert_eq!(sms.from, "+15558675310");
    assert_eq!(sms.to, "+15017250604");
    assert_eq!(sms.body, "STOP");
    assert_eq!(sms.num_segments, Some(1));
    assert_eq!(sms.opt_out_type.as_deref(), Some("STOP"));
    assert_eq!(sms.from_country.as_deref(), Some("US"));
    assert_eq!(
        sms.messaging_service_sid.as_deref(),
        Some("MG0123456789abcdef0123456789abcdef")
    );
    assert!(sms.media.is_empty());
    assert_eq!(sms.keyword(), Some(Keyword::OptOut));

    // Without Advanced Opt-Out the body decides; Twilio's classification wins when present.
    let sms = parse_inbound(b"MessageSid=SM2&From=%2B15558675310&To=%2B15017250604&Body=start")
        .expect("parse");
    assert_eq!(sms.keyword(), Some(Keyword::OptIn));
    let sms =
        parse_inbound(b"MessageSid=SM3&From=%2B1555&To=%2B1501&Body=Yes%20please%2C%20call%20me")
            .expect("parse");
    assert_eq!(sms.keyword(), None);

    let mms = parse_inbound(
        b"MessageSid=MM1&From=%2B1555&To=%2B1501&Body=&NumMedia=2&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fm0&MediaContentType0=image%2Fjpeg&MediaUrl1=https%3A%2F%2Fapi.twilio.com%2Fm1",
    )
    .expect("parse");
    assert_eq!(mms.media.len(), 2);
    assert_eq!(mms.media[0].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(mms.media[1].content_type, None);
    let huge = parse_inbound(b"MessageSid=MM2&From=1&To=2&NumMedia=99999999999").expect("parse");
    assert!(huge.media.is_empty());
    assert_eq!(
        parse_inbound(b"From=1&To=2"),
        Err(SmsWebhookError::Missing("MessageSid"))
    );
}

#[test]
fn keyword_table() {
    for (body, expected) in [
        ("STOP", Some(Keyword::OptOut)),
        ("stopall", Some(Keyword::OptOut)),
        ("  Unsubscribe\n", Some(Keyword::OptOut)),
        ("CANCEL", Some(Keyword::OptOut)),
        ("end", Some(Keyword::OptOut)),
        ("Quit", Some(Keyword::OptOut)),
        ("START", Some(Keyword::OptIn)),
        ("Yes", Some(Keyword::OptIn)),
        ("unstop", Some(Keyword::OptIn)),
        ("HELP", Some(Keyword::Help)),
        ("info", Some(Keyword::Help)),
        ("stop it", None),
        ("Thanks!", None),
        ("", None),
    ] {
        assert_eq!(classify_keyword(body), expected, "{body:?}");
    }
}

#[test]
fn twiml_answers() {
    assert_eq!(
        EMPTY_TWIML,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"
    );
    assert_eq!(
        twiml_reply("Acme <info@acme.example>: reply STOP & we stop"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Acme &lt;info@acme.example&gt;: reply STOP &amp; we stop</Message></Response>"
    );
}

#[test]
fn carrier_codes_classify() {
    assert_eq!(
        classify_code(30007),
        Some((SmsErrorClass::Permanent, SmsReason::CarrierFiltered))
    );
    assert_eq!(
        classify_code(30008),
        Some((SmsErrorClass::Transient, SmsReason::CarrierError))
    );
    assert_eq!(
        classify_code(30005),
        Some((SmsErrorClass::Permanent, SmsReason::UnknownDestination))
    );
    assert_eq!(
        classify_code(20003),
        Some((SmsErrorClass::Config, SmsReason::AuthFailed))
    );
    assert_eq!(classify_code(1), None);
}

#[test]
fn segment_table() {
    let cases: &[(&str, SmsEncoding, u32)] = &[
        ("Hello, are you open on Sunday?", SmsEncoding::Gsm7, 1),
        ("Price: 10€ [today only] {x} ~ | ^ \\", SmsEncoding::Gsm7, 1),
        (
            "Ça va? Üben, Ñandú, ¿qué? ¡Sí! £5 ¥3 §1 Δ",
            SmsEncoding::Ucs2,
            1,
        ),
        ("Üben, Ñoño, ¿qué? ¡Sì! £5 ¥3 §1 Δ", SmsEncoding::Gsm7, 1),
        ("Great 👍", SmsEncoding::Ucs2, 1),
        ("Straße “quotes”", SmsEncoding::Ucs2, 1),
    ];
    for (body, enc, n) in cases {
        assert_eq!(segments(body), (*enc, *n), "{body}");
    }
    assert_eq!(gsm7_septets('€'), Some(2));
    assert_eq!(gsm7_septets('a'), Some(1));
    assert_eq!(gsm7_septets('ç'), None);
}

proptest! {
    #[test]
    fn segments_never_panic_and_cover_the_body(body in "\\PC{0,700}") {
        let (enc, n) = segments(&body);
        if body.is_empty() {
            prop_assert_eq!(n, 0);
        } else {
            prop_assert!(n >= 1);
            let units: u32 = match enc {
                SmsEncoding::Gsm7 => body.chars().map(|c| gsm7_septets(c).unwrap_or(0)).sum(),
                SmsEncoding::Ucs2 => body.chars().map(|c| c.len_utf16() as u32).sum(),
            };
            let (single, multi) = match enc {
                SmsEncoding::Gsm7 => (160, 153),
                SmsEncoding::Ucs2 => (70, 67),
            };
            // Enough room for every unit; never more segments than one per character.
            if units <= single {
                prop_assert_eq!(n, 1);
            } else {
                prop_assert!(n * multi >= units);
                prop_assert!(n as usize <= body.chars().count());
            }
        }
    }

    #[test]
    fn gsm_only_bodies_stay_gsm(body in "[A-Za-z0-9 .,!?@£$€\\[\\]{}]{1,500}") {
        let (enc, n) = segments(&body);
        prop_assert_eq!(enc, SmsEncoding::Gsm7);
        prop_assert!(n >= 1);
    }

    #[test]
    fn any_bytes_parse_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_inbound(&bytes);
        let _ = parse_status_callback(&bytes);
        let _ = classify_keyword(&String::from_utf8_lossy(&bytes));
    }
}
