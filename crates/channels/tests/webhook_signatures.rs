//! Every Twilio, Stripe and Meta vector of `shared/protocols/signature_vectors.json`, plus
//! forged and missing signatures. The vectors are embedded (so the test runs anywhere)
//! and, when the shared folder sits beside the repository, read from there as well, so a
//! vector added later is checked too.

use prospector_channels::webhooks::{
    SignatureError, meta_signature, stripe_signature, twilio_signature, verify_meta_signature,
    verify_stripe_signature, verify_subscription, verify_twilio_form, verify_twilio_json,
    verify_twilio_request,
};
use serde_json::Value;

const EMBEDDED: &str = r###"{
 "generated_by": "collected from provider docs and SDK test suites; each vector re-verified with an independent Python implementation (hmac/hashlib/cryptography)",
 "vectors": [
  {
   "id": "twilio-docs-example",
   "provider": "twilio",
   "header": "X-Twilio-Signature",
   "algorithm": "base64(HMAC-SHA1(auth_token, full_url + concat over params sorted by name (then value) of name+value))",
   "auth_token": "12345",
   "url": "https://mycompany.com/myapp.php?foo=1&bar=2",
   "form_params": {
    "CallSid": [
     "CA1234567890ABCDE"
    ],
    "Caller": [
     "+12349013030"
    ],
    "Digits": [
     "1234"
    ],
    "From": [
     "+12349013030"
    ],
    "To": [
     "+18005551212"
    ]
   },
   "expected_signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
   "source": "Twilio docs 'Webhooks security' worked example (reproduced in many public test suites); recomputed here",
   "note": "",
   "verified_by_us": true
  },
  {
   "id": "twilio-sdk-basic",
   "provider": "twilio",
   "header": "X-Twilio-Signature",
   "algorithm": "base64(HMAC-SHA1(auth_token, full_url + concat over params sorted by name (then value) of name+value))",
   "auth_token": "12345",
   "url": "https://mycompany.com/myapp.php?foo=1&bar=2",
   "form_params": {
    "CallSid": [
     "CA1234567890ABCDE"
    ],
    "Digits": [
     "1234"
    ],
    "From": [
     "+14158675309"
    ],
    "To": [
     "+18005551212"
    ],
    "Caller": [
     "+14158675309"
    ]
   },
   "expected_signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
   "source": "twilio/twilio-python@306691e tests/unit/test_request_validator.py (MIT)",
   "note": "",
   "verified_by_us": true
  },
  {
   "id": "twilio-sdk-https-port-443",
   "provider": "twilio",
   "header": "X-Twilio-Signature",
   "algorithm": "base64(HMAC-SHA1(auth_token, full_url + concat over params sorted by name (then value) of name+value))",
   "auth_token": "12345",
   "url": "https://mycompany.com:443/myapp.php?foo=1&bar=2",
   "form_params": {
    "CallSid": [
     "CA1234567890ABCDE"
    ],
    "Digits": [
     "1234"
    ],
    "From": [
     "+14158675309"
    ],
    "To": [
     "+18005551212"
    ],
    "Caller": [
     "+14158675309"
    ]
   },
   "expected_signature": "kvajT1Ptam85bY51eRf/AJRuM3w=",
   "source": "twilio-python tests",
   "note": "validators accept the signature computed over the URL with AND without the default port",
   "verified_by_us": true
  },
  {
   "id": "twilio-sdk-http-port-1234",
   "provider": "twilio",
   "header": "X-Twilio-Signature",
   "algorithm": "base64(HMAC-SHA1(auth_token, full_url + concat over params sorted by name (then value) of name+value))",
   "auth_token": "12345",
   "url": "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
   "form_params": {
    "CallSid": [
     "CA1234567890ABCDE"
    ],
    "Digits": [
     "1234"
    ],
    "From": [
     "+14158675309"
    ],
    "To": [
     "+18005551212"
    ],
    "Caller": [
     "+14158675309"
    ]
   },
   "expected_signature": "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
   "source": "twilio-python tests",
   "note": "http URL with explicit port 1234",
   "verified_by_us": true
  },
  {
   "id": "twilio-sdk-http-port-80",
   "provider": "twilio",
   "header": "X-Twilio-Signature",
   "algorithm": "base64(HMAC-SHA1(auth_token, full_url + concat over params sorted by name (then value) of name+value))",
   "auth_token": "12345",
   "url": "http://mycompany.com:80/myapp.php?foo=1&bar=2",
   "form_params": {
    "CallSid": [
     "CA1234567890ABCDE"
    ],
    "Digits": [
     "1234"
    ],
    "From": [
     "+14158675309"
    ],
    "To": [
     "+18005551212"
    ],
    "Caller": [
     "+14158675309"
    ]
   },
   "expected_signature": "0ZXoZLH/DfblKGATFgpif+LLRf4=",
   "source": "twilio-python tests",
   "note": "",
   "verified_by_us": true
  },
  {
   "id": "twilio-sdk-duplicate-params",
   "provider": "twilio",
   "header": "X-Twilio-Signature",
   "algorithm": "base64(HMAC-SHA1(auth_token, full_url + concat over params sorted by name (then value) of name+value))",
   "auth_token": "12345",
   "url": "https://mycompany.com/myapp.php?foo=1&bar=2",
   "form_params": {
    "Sid": [
     "CA123"
    ],
    "SidAccount": [
     "AC123"
    ],
    "Digits": [
     "5678",
     "1234",
     "1234"
    ]
   },
   "expected_signature": "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
   "source": "twilio-python tests",
   "note": "repeated keys: values sorted, duplicates removed",
   "verified_by_us": true
  },
  {
   "id": "twilio-sdk-json-body",
   "provider": "twilio",
   "header": "X-Twilio-Signature",
   "algorithm": "JSON bodies: URL carries bodySHA256=hex(sha256(body)); signature = base64(HMAC-SHA1(token, full URL incl. bodySHA256)) with NO params appended; also compare the body hash",
   "auth_token": "12345",
   "url": "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
   "raw_body": "{\"property\": \"value\", \"boolean\": true}",
   "expected_body_sha256": "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
   "expected_signature": "a9nBmqA0ju/hNViExpshrM61xv4=",
   "source": "twilio-python tests",
   "verified_by_us": true
  },
  {
   "id": "sendgrid-event-webhook",
   "provider": "sendgrid",
   "headers": {
    "X-Twilio-Email-Event-Webhook-Signature": "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=",
    "X-Twilio-Email-Event-Webhook-Timestamp": "1600112502"
   },
   "algorithm": "ECDSA P-256 / SHA-256 over (timestamp header value + raw body); signature base64 DER; verification key is base64 SPKI (wrap in PEM)",
   "public_key_base64_spki": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==",
   "raw_body": "[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\",\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":1600112492}]\r\n",
   "expected": "valid",
   "negative_cases": [
    {
     "raw_body": "payload",
     "expected": "invalid"
    },
    {
     "timestamp": "timestamp",
     "expected": "invalid"
    },
    {
     "public_key_base64_spki": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==",
     "expected": "invalid"
    }
   ],
   "source": "sendgrid/sendgrid-python@76788e7 test/unit/test_eventwebhook.py (MIT); the body ends with CRLF",
   "verified_by_us": true
  },
  {
   "id": "svix-standard-webhooks",
   "provider": "svix (used by Resend; = 'Standard Webhooks')",
   "headers": {
    "svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "svix-timestamp": "1614265330",
    "svix-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
   },
   "algorithm": "key = base64decode(secret minus 'whsec_'); sig = base64(HMAC-SHA256(key, id + '.' + timestamp + '.' + raw_body)); header = space-separated 'v1,<sig>' entries, accept if any matches; webhook-id/webhook-timestamp/webhook-signature headers are equivalent; timestamp tolerance 5 min each way",
   "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
   "raw_body": "{\"test\": 2432232314}",
   "expected_signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
   "negative_cases": [
    {
     "svix-signature": "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
     "expected": "invalid"
    },
    {
     "svix-signature": "v1,",
     "expected": "invalid"
    }
   ],
   "source": "svix/svix-webhooks@048f87e go/webhook_test.go TestWebhookSign (MIT)",
   "verified_by_us": true
  },
  {
   "id": "stripe-signature-computed",
   "provider": "stripe",
   "header": "Stripe-Signature",
   "header_value": "t=1700000000,v1=3bfab77baf5f7b6991a46c9b53b6547d7afc56148b10468fcad9f35c1992ffbd",
   "algorithm": "v1 = hex(HMAC-SHA256(key = endpoint secret string incl. 'whsec_' as UTF-8, msg = t + '.' + raw_body)); header 't=<unix>,v1=<hex>[,v1=...][,v0=...]'; accept if any v1 matches; reject if now - t > tolerance (SDK default 300 s)",
   "secret": "whsec_test_secret",
   "timestamp": 1700000000,
   "raw_body": "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\",\n  \"data\": { \"object\": { \"id\": \"rdr_123\", \"object\": \"terminal.reader\" } }\n}",
   "expected_v1": "3bfab77baf5f7b6991a46c9b53b6547d7afc56148b10468fcad9f35c1992ffbd",
   "source": "COMPUTED BY US with the documented algorithm (stripe-python@6c6e373 stripe/_webhook.py: scheme v1, DEFAULT_TOLERANCE 300; payload+secret from its tests/test_webhook.py). Stripe publishes no fixed secret/payload/signature triple.",
   "verified_by_us": true
  },
  {
   "id": "meta-x-hub-signature-256-computed",
   "provider": "meta (WhatsApp Cloud API, Page leadgen, Instagram)",
   "header": "X-Hub-Signature-256",
   "algorithm": "'sha256=' + lowercase hex(HMAC-SHA256(app_secret, raw body bytes exactly as received)); Meta signs its escaped-unicode JSON (\\u00e4 etc.), so never re-serialise before hashing",
   "computed_examples": [
    {
     "app_secret": "test_app_secret",
     "raw_body": "{\"object\":\"whatsapp_business_account\",\"entry\":[]}",
     "expected": "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756"
    },
    {
     "app_secret": "test_app_secret",
     "raw_body": "{\"text\":\"\\u00e4\\u00f6\\u00e5\"}",
     "expected": "sha256=02331cadf5416e9e5dc4ecf73b5c9b7aa6577a90b90fbb6bad6e9a35d8a8f6a9",
     "note": "escaped form, as Meta sends it"
    },
    {
     "app_secret": "test_app_secret",
     "raw_body": "{\"text\":\"\u00e4\u00f6\u00e5\"}",
     "expected": "sha256=1156bb8871b0fb6c41be587675ee25663758799081f9aa28d1ecccad94158e9d",
     "note": "same JSON decoded -> different signature"
    }
   ],
   "source": "COMPUTED BY US; rule from developers.facebook.com/docs/graph-api/webhooks/getting-started ('Validating Payloads'). Meta publishes no fixed vector.",
   "verified_by_us": true
  }
 ]
}"###;

fn vector_sets() -> Vec<(String, Value)> {
    let mut sets = vec![(
        "embedded copy".to_owned(),
        serde_json::from_str(EMBEDDED).expect("embedded vectors parse"),
    )];
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/protocols/signature_vectors.json");
    match std::fs::read_to_string(&shared) {
        Ok(text) => sets.push((
            shared.display().to_string(),
            serde_json::from_str(&text).expect("shared vectors parse"),
        )),
        Err(e) => eprintln!(
            "note: {} not read ({e}); using the embedded copy only",
            shared.display()
        ),
    }
    sets
}

fn vectors<'a>(set: &'a Value, provider_prefix: &str) -> Vec<&'a Value> {
    set["vectors"]
        .as_array()
        .expect("vectors array")
        .iter()
        .filter(|v| {
            v["provider"]
                .as_str()
                .unwrap_or_default()
                .starts_with(provider_prefix)
        })
        .collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {}", v["id"]))
}

fn form_params(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, vals) in v["form_params"].as_object().expect("form_params") {
        for val in vals.as_array().expect("values") {
            out.push((k.clone(), val.as_str().expect("string").to_owned()));
        }
    }
    out
}

/// Changes one character of a base64 signature (keeping it valid base64).
fn forge_base64(sig: &str) -> String {
    let mut c: Vec<char> = sig.chars().collect();
    c[0] = if c[0] == 'A' { 'B' } else { 'A' };
    c.into_iter().collect()
}

#[test]
fn twilio_vectors_pass_and_forgeries_fail() {
    for (origin, set) in vector_sets() {
        let vs = vectors(&set, "twilio");
        assert_eq!(vs.len(), 7, "{origin}: expected the seven Twilio vectors");
        for v in vs {
            let id = s(v, "id");
            let token = s(v, "auth_token");
            let url = s(v, "url");
            let expected = s(v, "expected_signature");
            if let Some(body) = v["raw_body"].as_str() {
                assert_eq!(
                    verify_twilio_json(token, url, body.as_bytes(), Some(expected)),
                    Ok(()),
                    "{origin} {id}"
                );
                assert_eq!(
                    verify_twilio_request(token, url, body.as_bytes(), Some(expected)),
                    Ok(()),
                    "{origin} {id} (auto-detected)"
                );
                assert!(url.contains(s(v, "expected_body_sha256")), "{id}");
                assert_eq!(
                    verify_twilio_json(token, url, b"{\"property\": \"forged\"}", Some(expected)),
                    Err(SignatureError::BodyHashMismatch),
                    "{id}: a changed body must fail"
                );
                let no_params: &[(&str, &str)] = &[];
                assert_eq!(twilio_signature(token, url, no_params), expected, "{id}");
            } else {
                let params = form_params(v);
                assert_eq!(
                    verify_twilio_form(token, url, &params, Some(expected)),
                    Ok(()),
                    "{origin} {id}"
                );
                // The same request as Twilio sends it on the wire (form body).
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params.iter())
                    .finish();
                assert_eq!(
                    verify_twilio_request(token, url, body.as_bytes(), Some(expected)),
                    Ok(()),
                    "{origin} {id} (raw form body)"
                );
                assert_eq!(twilio_signature(token, url, &params), expected, "{id}");
                // Forged: a changed parameter, another token, a flipped signature.
                let mut tampered = params.clone();
                tampered[0].1.push('9');
                assert_eq!(
                    verify_twilio_form(token, url, &tampered, Some(expected)),
                    Err(SignatureError::Mismatch),
                    "{id}"
                );
                assert_eq!(
                    verify_twilio_form("54321", url, &params, Some(expected)),
                    Err(SignatureError::Mismatch),
                    "{id}"
                );
                assert_eq!(
                    verify_twilio_form(token, url, &params, Some(&forge_base64(expected))),
                    Err(SignatureError::Mismatch),
                    "{id}"
                );
                assert_eq!(
                    verify_twilio_form(token, url, &params, None),
                    Err(SignatureError::Missing),
                    "{id}"
                );
                assert_eq!(
                    verify_twilio_form(token, url, &params, Some("")),
                    Err(SignatureError::Missing),
                    "{id}"
                );
                assert!(matches!(
                    verify_twilio_form(token, url, &params, Some("not base64!")),
                    Err(SignatureError::Malformed(_))
                ));
                // Query parameters are part of the URL, not re-appended: another query fails.
                let other_url = url.replace("foo=1", "foo=2");
                assert_eq!(
                    verify_twilio_form(token, &other_url, &params, Some(expected)),
                    Err(SignatureError::Mismatch),
                    "{id}"
                );
            }
        }
    }
}

#[test]
fn twilio_default_port_is_optional_both_ways() {
    // The port-443 vector was computed over the URL with ":443"; Twilio may call the URL
    // without it (and vice versa), and both must be accepted.
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ];
    let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    let without = "https://mycompany.com/myapp.php?foo=1&bar=2";
    let sig_with = twilio_signature("12345", with_port, &params);
    assert_eq!(sig_with, "kvajT1Ptam85bY51eRf/AJRuM3w=");
    let sig_without = twilio_signature("12345", without, &params);
    assert_eq!(sig_without, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    for url in [with_port, without] {
        for sig in [&sig_with, &sig_without] {
            assert_eq!(
                verify_twilio_form("12345", url, &params, Some(sig)),
                Ok(()),
                "{url}"
            );
        }
    }
    // A non-default port is significant.
    let custom = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
    let sig = twilio_signature("12345", custom, &params);
    assert_eq!(
        verify_twilio_form(
            "12345",
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            &params,
            Some(&sig)
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn twilio_json_without_body_hash_is_refused() {
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    let no_params: &[(&str, &str)] = &[];
    let sig = twilio_signature("12345", url, no_params);
    assert!(matches!(
        verify_twilio_json("12345", url, b"{}", Some(&sig)),
        Err(SignatureError::Malformed(_))
    ));
    assert_eq!(
        verify_twilio_json("", url, b"{}", Some(&sig)),
        Err(SignatureError::EmptySecret)
    );
}

#[test]
fn stripe_vector_passes_within_tolerance_only() {
    for (origin, set) in vector_sets() {
        let vs = vectors(&set, "stripe");
        assert_eq!(vs.len(), 1, "{origin}");
        for v in vs {
            let secret = s(v, "secret");
            let body = s(v, "raw_body").as_bytes();
            let header = s(v, "header_value");
            let t = v["timestamp"].as_i64().expect("timestamp");
            assert_eq!(
                verify_stripe_signature(secret, body, Some(header), t + 10, 300),
                Ok(t),
                "{origin}"
            );
            assert_eq!(stripe_signature(secret, t, body), header);
            assert!(header.ends_with(s(v, "expected_v1")));
            // Exactly at the tolerance is still accepted; one second later is not.
            assert!(verify_stripe_signature(secret, body, Some(header), t + 300, 300).is_ok());
            assert_eq!(
                verify_stripe_signature(secret, body, Some(header), t + 301, 300),
                Err(SignatureError::Expired {
                    age_secs: 301,
                    tolerance_secs: 300
                })
            );
            // Forged body, wrong secret, base64-decoded secret (a common mistake), missing.
            let mut forged = body.to_vec();
            forged[5] ^= 1;
            assert_eq!(
                verify_stripe_signature(secret, &forged, Some(header), t, 300),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify_stripe_signature("whsec_other", body, Some(header), t, 300),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify_stripe_signature("test_secret", body, Some(header), t, 300),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify_stripe_signature(secret, body, None, t, 300),
                Err(SignatureError::Missing)
            );
            // A forged v1 next to v0 and unknown schemes.
            let only_v0 = header.replace("v1=", "v0=");
            assert!(matches!(
                verify_stripe_signature(secret, body, Some(&only_v0), t, 300),
                Err(SignatureError::Malformed(_))
            ));
            let with_noise = format!("{header},v0=abc,v2=def");
            assert!(verify_stripe_signature(secret, body, Some(&with_noise), t, 300).is_ok());
            // Another timestamp with the same v1 is a replay with a forged time.
            let shifted = header.replace(&t.to_string(), &(t + 1).to_string());
            assert_eq!(
                verify_stripe_signature(secret, body, Some(&shifted), t + 1, 300),
                Err(SignatureError::Mismatch)
            );
        }
    }
}

#[test]
fn meta_vectors_pass_and_forgeries_fail() {
    for (origin, set) in vector_sets() {
        let vs = vectors(&set, "meta");
        assert_eq!(vs.len(), 1, "{origin}");
        let examples = vs[0]["computed_examples"].as_array().expect("examples");
        assert_eq!(examples.len(), 3);
        for ex in examples {
            let secret = s(ex, "app_secret");
            let body = s(ex, "raw_body").as_bytes();
            let expected = s(ex, "expected");
            assert_eq!(meta_signature(secret, body), expected, "{origin}");
            assert_eq!(
                verify_meta_signature(secret, body, Some(expected)),
                Ok(()),
                "{origin}"
            );
            assert_eq!(
                verify_meta_signature("other_secret", body, Some(expected)),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify_meta_signature(secret, body, None),
                Err(SignatureError::Missing)
            );
            let hex_part = expected.trim_start_matches("sha256=");
            assert!(matches!(
                verify_meta_signature(secret, body, Some(hex_part)),
                Err(SignatureError::Malformed(_))
            ));
            let mut forged = body.to_vec();
            forged.push(b' ');
            assert_eq!(
                verify_meta_signature(secret, &forged, Some(expected)),
                Err(SignatureError::Mismatch)
            );
        }
        // The escaped and the decoded form of the same JSON have different signatures:
        // hashing a re-serialised body would fail.
        let escaped = s(&examples[1], "raw_body").as_bytes();
        let decoded_sig = s(&examples[2], "expected");
        assert_eq!(
            verify_meta_signature("test_app_secret", escaped, Some(decoded_sig)),
            Err(SignatureError::Mismatch)
        );
    }
}

#[test]
fn meta_handshake_uses_the_dotted_names() {
    assert_eq!(
        verify_subscription(
            Some("subscribe"),
            Some("meatyhamhock"),
            Some("1158201444"),
            "meatyhamhock"
        ),
        Ok("1158201444".to_owned())
    );
    assert!(
        verify_subscription(Some("subscribe"), Some("wrong"), Some("1"), "meatyhamhock").is_err()
    );
    assert!(verify_subscription(Some("subscribe"), None, Some("1"), "meatyhamhock").is_err());
    assert!(verify_subscription(None, Some("meatyhamhock"), Some("1"), "meatyhamhock").is_err());
}
