//! The `prospector score` and `prospector analyze` command-line contract, on the backend
//! chosen by PROSPECTOR_TEST_BACKEND: one JSON object per company per line with exactly
//! `company_id, value, tier, reason, factors[{name, points, reason}]` in that order, scores
//! stored (re-running gives the same lines), and the analysis JSON from the fallback.

mod common;

use common::Env;
use serde_json::Value;
use std::process::Output;

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

const CSV: &str = "company,phone,category,city,country,email\n\
Joe Plumbing,+14155550100,Plumber,Austin,US,joe@joeplumb.com\n\
Bright Dental,,Dentist,Austin,US,info@brightdental.com\n\
Quiet Corner,,,,,\n";

#[tokio::test]
async fn score_and_analyze_print_the_documented_json() {
    let env = Env::new().await;
    let file = env.file("leads.csv", CSV.as_bytes());
    ok(&env.run(
        &["import", &file, "--workspace", "acme-agency", "--json"],
        None,
    ));

    let out = ok(&env.run(
        &["score", "--workspace", "acme-agency", "--all", "--json"],
        None,
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let mut ids = Vec::new();
    for line in &lines {
        assert!(line.starts_with(r#"{"company_id":"#), "{line}");
        let v: Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        let mut want = vec!["company_id", "factors", "reason", "tier", "value"];
        want.sort();
        assert_eq!(keys, want, "{line}");
        let value = v["value"].as_i64().unwrap();
        assert!((0..=100).contains(&value));
        let tier = v["tier"].as_str().unwrap();
        assert!(["A", "B", "C"].contains(&tier));
        assert!(
            v["reason"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{tier}:"))
        );
        let factors = v["factors"].as_array().unwrap();
        assert_eq!(factors.len(), 5);
        let mut sum = 0;
        for f in factors {
            let o = f.as_object().unwrap();
            assert_eq!(o.len(), 3, "{f}");
            assert!(!f["name"].as_str().unwrap().is_empty());
            assert!(!f["reason"].as_str().unwrap().is_empty());
            sum += f["points"].as_i64().unwrap();
        }
        assert_eq!(sum, value, "points add up to the score: {line}");
        ids.push(v["company_id"].as_i64().unwrap());
    }

    // One company; the same line again (stored and deterministic).
    let id = ids[0].to_string();
    let one = ok(&env.run(
        &[
            "score",
            "--workspace",
            "acme-agency",
            "--company",
            &id,
            "--json",
        ],
        None,
    ));
    assert_eq!(one.trim(), lines[0]);

    // The stored score is in the export.
    let csv = ok(&env.run(&["export", "companies", "--workspace", "acme-agency"], None));
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with("score,tier,score_reason"), "{header}");

    // Unknown company and workspace: a one-line error, non-zero exit.
    let bad = env.run(
        &[
            "score",
            "--workspace",
            "acme-agency",
            "--company",
            "987654",
            "--json",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("987654"));
    let bad = env.run(&["score", "--workspace", "nope", "--all"], None);
    assert!(!bad.status.success());

    let a = ok(&env.run(
        &[
            "analyze",
            "--workspace",
            "acme-agency",
            "--company",
            &id,
            "--json",
        ],
        None,
    ));
    let v: Value = serde_json::from_str(a.trim()).unwrap();
    assert_eq!(v["provider"], "fallback");
    for k in ["summary", "opening_line"] {
        assert!(!v[k].as_str().unwrap().is_empty(), "{k}: {a}");
    }
    for k in ["pain_points", "hooks"] {
        assert!(v[k].is_array(), "{k}: {a}");
    }
}
