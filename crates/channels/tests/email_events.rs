//! Provider event webhooks against the published vectors and example payloads
//! (protocols doc §8): SendGrid's ECDSA signature from sendgrid-python's test suite, the Svix
//! signature from svix-webhooks' tests, and the documented example bodies.
//!
//! The vectors are copied here so the test stands alone; when the shared protocol notes are
//! present beside the repository (`shared/protocols/signature_vectors.json`), every SendGrid
//! and Svix vector in that file is run as well.

use std::path::PathBuf;

use prospector_channels::email::events::{
    EmailEventKind, EventError, EventProvider, SendGridVerifier, SvixHeaders, SvixVerifier,
    parse_resend, parse_sendgrid,
};
use serde_json::Value;

const SG_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
const SG_OTHER_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
const SG_SIGNATURE: &str = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
const SG_TIMESTAMP: &str = "1600112502";
const SG_BODY: &str = "[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\",\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":1600112492}]\r\n";

const SVIX_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SVIX_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SVIX_TIMESTAMP: &str = "1614265330";
const SVIX_BODY: &str = "{\"test\": 2432232314}";
const SVIX_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

/// `examples/sendgrid_events.json` from the protocol notes.
const SENDGRID_EXAMPLE: &str = r#"[
  {
    "email": "hello@world.com",
    "event": "dropped",
    "reason": "Bounced Address",
    "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
    "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
    "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
    "timestamp": 1600112492
  },
  {
    "email": "example@test.com",
    "timestamp": 1513299569,
    "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
    "event": "bounce",
    "category": "cat facts",
    "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
    "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    "reason": "500 unknown recipient",
    "status": "5.0.0",
    "type": "bounce"
  },
  {
    "email": "example@test.com",
    "timestamp": 1513299569,
    "event": "spamreport",
    "sg_event_id": "37nvH5QBz858KGVYCM4uOA==",
    "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"
  }
]"#;

/// `examples/resend_email_bounced.json` from the protocol notes.
const RESEND_BOUNCED_EXAMPLE: &str = r#"{
  "type": "email.bounced",
  "created_at": "2024-11-22T23:41:12.126Z",
  "data": {
    "created_at": "2024-11-22T23:41:11.894719+00:00",
    "email_id": "56761188-7520-42d8-8898-ff6fc54ce618",
    "from": "Acme <onboarding@resend.dev>",
    "to": [
      "delivered@resend.dev"
    ],
    "subject": "Sending this example",
    "bounce": {
      "message": "The recipient's email address is on the suppression list because it has a recent history of producing hard bounces.",
      "subType": "Suppressed",
      "type": "Permanent"
    }
  }
}"#;

fn sg_now() -> i64 {
    SG_TIMESTAMP.parse().expect("vector timestamp")
}

#[test]
fn sendgrid_vector_verifies() {
    let v = SendGridVerifier::new(SG_KEY).expect("vector key");
    v.verify_at(
        Some(SG_SIGNATURE),
        Some(SG_TIMESTAMP),
        SG_BODY.as_bytes(),
        sg_now() + 5,
    )
    .expect("the SDK vector is valid");
    // The timestamp check is separate from the signature: off, the vector passes any time.
    v.clone()
        .with_tolerance(None)
        .verify(Some(SG_SIGNATURE), Some(SG_TIMESTAMP), SG_BODY.as_bytes())
        .expect("valid without a freshness check");
}

#[test]
fn sendgrid_negative_vectors_fail_clearly() {
    let v = SendGridVerifier::new(SG_KEY).expect("vector key");
    let now = sg_now();
    // Body "payload" instead of the signed one.
    assert_eq!(
        v.verify_at(Some(SG_SIGNATURE), Some(SG_TIMESTAMP), b"payload", now),
        Err(EventError::SignatureMismatch)
    );
    // Timestamp header "timestamp".
    assert_eq!(
        v.verify_at(
            Some(SG_SIGNATURE),
            Some("timestamp"),
            SG_BODY.as_bytes(),
            now
        ),
        Err(EventError::SignatureMismatch)
    );
    // Another account's key.
    let other = SendGridVerifier::new(SG_OTHER_KEY).expect("other key");
    let err = other
        .verify_at(
            Some(SG_SIGNATURE),
            Some(SG_TIMESTAMP),
            SG_BODY.as_bytes(),
            now,
        )
        .expect_err("wrong key");
    assert_eq!(err, EventError::SignatureMismatch);
    assert!(err.is_authentication());
    assert!(err.to_string().contains("does not match"), "{err}");
    // The body without its final CRLF is a different body.
    assert_eq!(
        v.verify_at(
            Some(SG_SIGNATURE),
            Some(SG_TIMESTAMP),
            SG_BODY.trim_end().as_bytes(),
            now
        ),
        Err(EventError::SignatureMismatch)
    );
    // Missing headers.
    assert_eq!(
        v.verify_at(None, Some(SG_TIMESTAMP), SG_BODY.as_bytes(), now),
        Err(EventError::MissingHeader(
            "X-Twilio-Email-Event-Webhook-Signature"
        ))
    );
    assert_eq!(
        v.verify_at(Some(SG_SIGNATURE), Some(""), SG_BODY.as_bytes(), now),
        Err(EventError::MissingHeader(
            "X-Twilio-Email-Event-Webhook-Timestamp"
        ))
    );
    // A genuine signature replayed an hour later.
    let stale = v
        .verify_at(
            Some(SG_SIGNATURE),
            Some(SG_TIMESTAMP),
            SG_BODY.as_bytes(),
            now + 3600,
        )
        .expect_err("stale");
    assert!(
        matches!(stale, EventError::StaleTimestamp { age_secs: 3600, .. }),
        "{stale}"
    );
    // And at the real current time (2020's timestamp).
    assert!(matches!(
        v.verify(Some(SG_SIGNATURE), Some(SG_TIMESTAMP), SG_BODY.as_bytes()),
        Err(EventError::StaleTimestamp { .. })
    ));
    // A signature that is not base64 DER.
    assert!(matches!(
        v.verify_at(
            Some("MEUCIGHQ"),
            Some(SG_TIMESTAMP),
            SG_BODY.as_bytes(),
            now
        ),
        Err(EventError::MalformedSignature(_))
    ));
}

#[test]
fn svix_vector_verifies_and_signs() {
    let v = SvixVerifier::new(SVIX_SECRET).expect("vector secret");
    assert_eq!(
        v.sign(SVIX_ID, SVIX_TIMESTAMP, SVIX_BODY.as_bytes()),
        SVIX_SIGNATURE
    );
    let h = SvixHeaders {
        id: SVIX_ID,
        timestamp: SVIX_TIMESTAMP,
        signature: SVIX_SIGNATURE,
    };
    let now: i64 = SVIX_TIMESTAMP.parse().expect("ts");
    v.verify_at(&h, SVIX_BODY.as_bytes(), now + 60)
        .expect("the svix vector is valid");
    // Headers found by name, branded or not.
    let from_headers = SvixHeaders::from_lookup(|n| match n {
        "svix-id" => Some(SVIX_ID),
        "svix-timestamp" => Some(SVIX_TIMESTAMP),
        "svix-signature" => Some(SVIX_SIGNATURE),
        _ => None,
    })
    .expect("headers");
    assert_eq!(from_headers, h);
}

#[test]
fn svix_negative_vectors_fail_clearly() {
    let v = SvixVerifier::new(SVIX_SECRET).expect("vector secret");
    let now: i64 = SVIX_TIMESTAMP.parse().expect("ts");
    let h = SvixHeaders {
        id: SVIX_ID,
        timestamp: SVIX_TIMESTAMP,
        signature: SVIX_SIGNATURE,
    };
    for forged in ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v1,"] {
        let err = v
            .verify_at(
                &SvixHeaders {
                    signature: forged,
                    ..h
                },
                SVIX_BODY.as_bytes(),
                now,
            )
            .expect_err(forged);
        assert_eq!(err, EventError::SignatureMismatch, "{forged}");
    }
    // Wrong secret.
    let wrong = SvixVerifier::new("whsec_plJ3nmyCDGBKInavdOK15jsl").expect("secret");
    assert_eq!(
        wrong.verify_at(&h, SVIX_BODY.as_bytes(), now),
        Err(EventError::SignatureMismatch)
    );
    // Altered id or body.
    assert_eq!(
        v.verify_at(
            &SvixHeaders {
                id: "msg_other",
                ..h
            },
            SVIX_BODY.as_bytes(),
            now
        ),
        Err(EventError::SignatureMismatch)
    );
    assert_eq!(
        v.verify_at(&h, b"{\"test\": 2432232315}", now),
        Err(EventError::SignatureMismatch)
    );
    // Stale both ways (5 minutes), and at the real current time.
    for skew in [-301, 301, 86_400] {
        assert!(
            matches!(
                v.verify_at(&h, SVIX_BODY.as_bytes(), now + skew),
                Err(EventError::StaleTimestamp { .. })
            ),
            "skew {skew}"
        );
    }
    assert!(matches!(
        v.verify(&h, SVIX_BODY.as_bytes()),
        Err(EventError::StaleTimestamp { .. })
    ));
    v.verify_at(&h, SVIX_BODY.as_bytes(), now + 299)
        .expect("inside the tolerance");
    // Missing header.
    assert_eq!(
        SvixHeaders::from_lookup(|n| match n {
            "svix-id" => Some(SVIX_ID),
            "svix-timestamp" => Some(SVIX_TIMESTAMP),
            _ => None,
        }),
        Err(EventError::MissingHeader("svix-signature"))
    );
}

#[test]
fn sendgrid_example_payload_parses() {
    let events = parse_sendgrid(SENDGRID_EXAMPLE.as_bytes()).expect("parses");
    assert_eq!(events.len(), 3);
    let dropped = &events[0];
    assert_eq!(dropped.provider, EventProvider::SendGrid);
    assert_eq!(
        dropped.provider_event_id,
        "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA"
    );
    assert_eq!(
        dropped.provider_message_id.as_deref(),
        Some("LRzXl_NHStOGhQ4kofSm_A")
    );
    assert_eq!(dropped.our_message_id, None);
    assert_eq!(dropped.email, "hello@world.com");
    assert_eq!(dropped.timestamp_ms, 1_600_112_492_000);
    assert_eq!(
        dropped.kind,
        EmailEventKind::Dropped {
            reason: Some("Bounced Address".into())
        }
    );
    assert_eq!(
        dropped.raw["smtp-id"],
        "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>"
    );

    let bounce = &events[1];
    assert_eq!(
        bounce.provider_message_id.as_deref(),
        Some("14c5d75ce93.dfd.64b469")
    );
    assert_eq!(
        bounce.kind,
        EmailEventKind::Bounce {
            hard: true,
            status: Some("5.0.0".into()),
            reason: Some("500 unknown recipient".into()),
            classification: None,
        }
    );
    assert_eq!(events[2].kind, EmailEventKind::SpamReport);
    assert_eq!(events[2].email, "example@test.com");

    // The signed vector body is the first example event.
    let signed = parse_sendgrid(SG_BODY.as_bytes()).expect("vector body parses");
    assert_eq!(signed, events[..1]);
}

#[test]
fn sendgrid_custom_args_carry_our_message_id() {
    let body = br#"[{"email":"a@x.example","timestamp":1700000000,"event":"delivered","sg_event_id":"e","sg_message_id":"abc.filter1","prospector_message_id":"<m-1@sender.example>","response":"250 2.0.0 OK"}]"#;
    let e = &parse_sendgrid(body).expect("parses")[0];
    assert_eq!(e.our_message_id.as_deref(), Some("<m-1@sender.example>"));
    assert_eq!(e.kind, EmailEventKind::Delivered);
}

#[test]
fn resend_example_payload_parses() {
    // Sign the example as Resend would and verify it, then parse.
    let v = SvixVerifier::new(SVIX_SECRET).expect("secret");
    let ts = "1732318872";
    let sig = v.sign(
        "msg_2pVdLZcBQaqxAeQ6BC9Zn13nAb5",
        ts,
        RESEND_BOUNCED_EXAMPLE.as_bytes(),
    );
    let h = SvixHeaders {
        id: "msg_2pVdLZcBQaqxAeQ6BC9Zn13nAb5",
        timestamp: ts,
        signature: &sig,
    };
    v.verify_at(&h, RESEND_BOUNCED_EXAMPLE.as_bytes(), 1_732_318_900)
        .expect("signed example verifies");
    let e = parse_resend(&h, RESEND_BOUNCED_EXAMPLE.as_bytes()).expect("parses");
    assert_eq!(e.provider, EventProvider::Resend);
    assert_eq!(e.provider_event_id, "msg_2pVdLZcBQaqxAeQ6BC9Zn13nAb5");
    assert_eq!(
        e.provider_message_id.as_deref(),
        Some("56761188-7520-42d8-8898-ff6fc54ce618")
    );
    assert_eq!(e.email, "delivered@resend.dev");
    assert_eq!(e.timestamp_ms, 1_732_318_872_126);
    assert_eq!(
        e.kind,
        EmailEventKind::Bounce {
            hard: true,
            status: None,
            reason: Some("The recipient's email address is on the suppression list because it has a recent history of producing hard bounces.".into()),
            classification: Some("Suppressed".into()),
        }
    );
    assert_eq!(e.raw["data"]["subject"], "Sending this example");
}

/// `shared/protocols/signature_vectors.json` beside the repository, when it is there.
fn shared_vectors() -> Option<Value> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("shared/protocols/signature_vectors.json");
        if let Ok(text) = std::fs::read_to_string(&candidate) {
            return serde_json::from_str(&text).ok();
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("vector field {key}"))
}

#[test]
fn every_shared_sendgrid_and_svix_vector() {
    let Some(doc) = shared_vectors() else {
        eprintln!(
            "shared/protocols/signature_vectors.json not found; the copied vectors above ran"
        );
        return;
    };
    let vectors = doc["vectors"].as_array().expect("vectors array");
    let mut ran = 0;
    for vector in vectors {
        let provider = s(vector, "provider");
        let id = s(vector, "id");
        if provider == "sendgrid" {
            let headers = &vector["headers"];
            let sig = s(headers, "X-Twilio-Email-Event-Webhook-Signature");
            let ts = s(headers, "X-Twilio-Email-Event-Webhook-Timestamp");
            let now: i64 = ts.parse().expect("ts");
            let check = |key: &str, ts: &str, body: &str| {
                SendGridVerifier::new(key).expect("key").verify_at(
                    Some(sig),
                    Some(ts),
                    body.as_bytes(),
                    now,
                )
            };
            let key = s(vector, "public_key_base64_spki");
            let body = s(vector, "raw_body");
            assert_eq!(
                check(key, ts, body).is_ok(),
                s(vector, "expected") == "valid",
                "{id}"
            );
            for neg in vector["negative_cases"].as_array().into_iter().flatten() {
                let key = neg
                    .get("public_key_base64_spki")
                    .and_then(Value::as_str)
                    .unwrap_or(key);
                let ts = neg.get("timestamp").and_then(Value::as_str).unwrap_or(ts);
                let body = neg.get("raw_body").and_then(Value::as_str).unwrap_or(body);
                let result = check(key, ts, body);
                assert_eq!(result.is_ok(), s(neg, "expected") == "valid", "{id} {neg}");
                if let Err(e) = result {
                    assert!(e.is_authentication(), "{id}: {e}");
                }
            }
            ran += 1;
        } else if provider.starts_with("svix") {
            let v = SvixVerifier::new(s(vector, "secret")).expect("secret");
            let headers = &vector["headers"];
            let h = SvixHeaders {
                id: s(headers, "svix-id"),
                timestamp: s(headers, "svix-timestamp"),
                signature: s(headers, "svix-signature"),
            };
            let now: i64 = h.timestamp.parse().expect("ts");
            let body = s(vector, "raw_body");
            assert_eq!(
                v.sign(h.id, h.timestamp, body.as_bytes()),
                s(vector, "expected_signature"),
                "{id}"
            );
            v.verify_at(&h, body.as_bytes(), now)
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            for neg in vector["negative_cases"].as_array().into_iter().flatten() {
                let signature = neg
                    .get("svix-signature")
                    .and_then(Value::as_str)
                    .unwrap_or(h.signature);
                let result = v.verify_at(&SvixHeaders { signature, ..h }, body.as_bytes(), now);
                assert_eq!(result.is_ok(), s(neg, "expected") == "valid", "{id} {neg}");
            }
            ran += 1;
        }
    }
    assert!(
        ran >= 2,
        "expected the SendGrid and Svix vectors, ran {ran}"
    );
}
