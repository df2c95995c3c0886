//! DKIM signatures checked by an independent verifier (python dkimpy), not by the library
//! that made them.

mod common;

use common::{DKIM_DOMAIN, DKIM_SELECTOR, dkim_python, sample_email, test_key, verify_with_dkimpy};
use prospector_channels::email::build_message;
use prospector_channels::email::dkim::{self, DkimSigner, SIGNED_HEADERS};

#[test]
fn generated_key_publishes_a_usable_record() {
    let key = test_key();
    assert_eq!(key.dns_name, "p2026._domainkey.sender.example");
    assert!(
        key.dns_value.starts_with("v=DKIM1; k=rsa; p=MIIBIjAN"),
        "{}",
        key.dns_value
    );
    assert!(
        key.private_key_pem
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    // The record can be shown again from the stored key.
    assert_eq!(
        dkim::dns_value(&key.private_key_pem).expect("recompute"),
        key.dns_value
    );
    assert!(
        !format!("{key:?}").contains("PRIVATE KEY"),
        "Debug must not print the key"
    );
}

#[test]
fn signature_verifies_with_dkimpy_and_tampering_fails() {
    let Some(python) = dkim_python() else { return };
    let key = test_key();
    let signer = DkimSigner::new(DKIM_DOMAIN, DKIM_SELECTOR, &key.private_key_pem).expect("signer");
    let raw = build_message(&sample_email(1)).expect("build");
    let signed = signer.sign(&raw).expect("sign");
    let text = String::from_utf8(signed.clone()).expect("utf8");
    assert!(text.starts_with("DKIM-Signature: "), "{text}");
    let sig_header: String = text
        .split("\r\n")
        .take_while(|l| !l.is_empty())
        .scan(false, |in_sig, l| {
            if l.starts_with("DKIM-Signature:") {
                *in_sig = true;
            } else if !l.starts_with([' ', '\t']) {
                *in_sig = false;
            }
            Some(if *in_sig { l.to_owned() } else { String::new() })
        })
        .collect();
    let unfolded = sig_header.replace([' ', '\t'], "");
    assert!(unfolded.contains("c=relaxed/relaxed"), "{sig_header}");
    assert!(unfolded.contains("d=sender.example"), "{sig_header}");
    assert!(unfolded.contains("s=p2026"), "{sig_header}");
    for h in [
        "list-unsubscribe",
        "list-unsubscribe-post",
        "from",
        "subject",
        "message-id",
    ] {
        assert!(
            unfolded.to_ascii_lowercase().contains(h),
            "h= must cover {h}: {sig_header}"
        );
    }
    assert!(SIGNED_HEADERS.contains(&"List-Unsubscribe-Post"));

    verify_with_dkimpy(&python, &signed, &key.dns_name, &key.dns_value).expect("dkimpy verifies");

    // The verifier is real: a changed unsubscribe URL must break the signature.
    let tampered = text.replace("https://app.example/u/tok1", "https://evil.example/u/tok1");
    assert!(
        verify_with_dkimpy(&python, tampered.as_bytes(), &key.dns_name, &key.dns_value).is_err()
    );
    // And so must a wrong public key.
    let other = dkim::generate_key("other.example", "x").expect("second key");
    assert!(verify_with_dkimpy(&python, &signed, &key.dns_name, &other.dns_value).is_err());
}

#[test]
fn pkcs8_keys_are_accepted() {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = test_key();
    let parsed = rsa::RsaPrivateKey::from_pkcs1_pem(&key.private_key_pem).expect("pkcs1");
    let pkcs8 = parsed.to_pkcs8_pem(LineEnding::LF).expect("pkcs8");
    let signer = DkimSigner::new(DKIM_DOMAIN, DKIM_SELECTOR, &pkcs8).expect("pkcs8 signer");
    assert_eq!(dkim::dns_value(&pkcs8).expect("record"), key.dns_value);
    let signed = signer
        .sign(b"From: a@sender.example\r\nSubject: x\r\n\r\nbody\r\n")
        .expect("sign");
    assert!(signed.starts_with(b"DKIM-Signature: "));
}

/// Every shape the builder produces (with and without HTML and unsubscribe headers, which
/// changes `h=` and where the signature header folds) must verify.
#[test]
fn every_message_shape_verifies_with_dkimpy() {
    let Some(python) = dkim_python() else { return };
    let key = test_key();
    let signer = DkimSigner::new(DKIM_DOMAIN, DKIM_SELECTOR, &key.private_key_pem).expect("signer");
    for n in 0..12 {
        let mut e = sample_email(n * 37);
        if n % 2 == 0 {
            e.html = None;
        }
        if n % 3 == 0 {
            e.list_unsubscribe = None;
        }
        if n % 4 == 0 {
            e.reply_to = None;
        }
        let signed = signer
            .sign(&build_message(&e).expect("build"))
            .expect("sign");
        verify_with_dkimpy(&python, &signed, &key.dns_name, &key.dns_value)
            .unwrap_or_else(|err| panic!("shape {n}: {err}\n{}", String::from_utf8_lossy(&signed)));
    }
}
