//! The `prospector import` and `prospector export` command-line contract, on the backend
//! chosen by PROSPECTOR_TEST_BACKEND: `--preview N --json`, the one-object JSON summary,
//! `--dry-run` writing nothing, `--map` overrides and their errors, and CSV export.

mod common;

use common::Env;

const CSV: &str = "Company Name,E-mail,Phone Number,Website URL,Kategorie\n\
Acme Inc, John@Acme.com ,(415) 555-0134,acme.com,Plumber\n\
\"Smith, Jones & Co\",office@sj.com,+44 20 7946 0958,https://sj.com/,\"Multi\nline\"\n\
Acme Inc,john@acme.com,,,\n\
,nope,,,\n";

#[tokio::test]
async fn preview_prints_rows_exactly_as_parsed() {
    let env = Env::new().await;
    let f = env.file("a.csv", CSV.as_bytes());
    let v = env.json(&["import", &f, "--preview", "2", "--json"]);
    assert_eq!(v["encoding"], "UTF-8");
    assert_eq!(v["delimiter"], ",");
    assert_eq!(
        v["headers"],
        serde_json::json!([
            "Company Name",
            "E-mail",
            "Phone Number",
            "Website URL",
            "Kategorie"
        ])
    );
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["E-mail"], " John@Acme.com ", "values are untrimmed");
    assert_eq!(rows[1]["Company Name"], "Smith, Jones & Co");
    assert_eq!(rows[1]["Kategorie"], "Multi\nline");
}

#[tokio::test]
async fn import_json_summary_dry_run_and_idempotence() {
    let env = Env::new().await;
    let f = env.file("a.csv", CSV.as_bytes());
    let dry = env.json(&[
        "import",
        &f,
        "--workspace",
        "acme-agency",
        "--dry-run",
        "--json",
    ]);
    for k in ["rows", "created", "updated", "duplicates", "errors"] {
        assert!(dry[k].is_i64(), "{k} in {dry}");
    }
    assert_eq!(dry["rows"], 4);
    assert_eq!(dry["created"], 2);
    assert_eq!(dry["duplicates"], 1);
    assert_eq!(dry["errors"], 1);
    let export = env.run(
        &[
            "export",
            "contacts",
            "--workspace",
            "acme-agency",
            "--format",
            "csv",
        ],
        None,
    );
    assert_eq!(
        String::from_utf8_lossy(&export.stdout).lines().count(),
        1,
        "the dry run wrote nothing"
    );

    let v = env.json(&[
        "import",
        &f,
        "--workspace",
        "acme-agency",
        "--map",
        "Kategorie=category",
        "--default-country",
        "US",
        "--on-duplicate",
        "fill",
        "--json",
    ]);
    assert_eq!(
        (
            v["rows"].as_i64(),
            v["created"].as_i64(),
            v["errors"].as_i64()
        ),
        (Some(4), Some(2), Some(1)),
        "{v}"
    );
    let again = env.json(&["import", &f, "--workspace", "acme-agency", "--json"]);
    assert_eq!(
        (again["created"].as_i64(), again["updated"].as_i64()),
        (Some(0), Some(0)),
        "{again}"
    );

    let out = env.run(&["export", "companies", "--workspace", "acme-agency"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("id,name,website,domain,phone,category"),
        "{text}"
    );
    assert!(
        text.contains("Acme Inc,https://acme.com,acme.com,'+14155550134,Plumber"),
        "{text}"
    );
    let out = env.run(
        &["export", "contacts", "--workspace", "acme-agency", "--bom"],
        None,
    );
    assert!(out.stdout.starts_with(b"\xEF\xBB\xBFid,full_name"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("john@acme.com,'+14155550134"),
        "phones are escaped: {text}"
    );
}

#[tokio::test]
async fn bad_arguments_and_files_fail_with_a_reason() {
    let env = Env::new().await;
    let f = env.file("a.csv", CSV.as_bytes());
    for (args, want) in [
        (
            vec!["import", &f, "--workspace", "nope", "--json"],
            "no workspace with slug 'nope'",
        ),
        (
            vec![
                "import",
                &f,
                "--workspace",
                "acme-agency",
                "--map",
                "Missing=email",
                "--json",
            ],
            "Missing",
        ),
        (
            vec![
                "import",
                &f,
                "--workspace",
                "acme-agency",
                "--on-duplicate",
                "merge",
            ],
            "skip, fill or overwrite",
        ),
        (
            vec![
                "import",
                &f,
                "--workspace",
                "acme-agency",
                "--default-country",
                "XX",
            ],
            "XX",
        ),
        (
            vec!["import", "/nonexistent.csv", "--workspace", "acme-agency"],
            "cannot open",
        ),
    ] {
        let out = env.run(&args, None);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "nothing on stdout on failure");
    }
    let empty = env.file("empty.csv", b"");
    let out = env.run(
        &["import", &empty, "--workspace", "acme-agency", "--json"],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file is empty"));
}
