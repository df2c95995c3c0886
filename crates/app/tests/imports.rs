//! CSV import end to end on the configured backend: counts, idempotence, dry runs, the three
//! duplicate policies, batches larger than one transaction, bad files (each a clear error and
//! nothing lost), the error report, search and cursor pagination over the imported rows, and
//! erasing a person.

use prospector_app::contacts::{self, ListQuery};
use prospector_app::core::import::OnDuplicate;
use prospector_app::imports::{self, ImportOptions, Summary};
use prospector_app::{App, WsCtx, testing};
use std::path::Path;

async fn setup() -> (App, WsCtx, tempfile::TempDir) {
    testing::app_with_workspace(|_| {}).await.unwrap()
}

async fn import_bytes(
    app: &App,
    ctx: &WsCtx,
    dir: &Path,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Summary {
    try_import(app, ctx, dir, name, bytes, opts).await.unwrap()
}

async fn try_import(
    app: &App,
    ctx: &WsCtx,
    dir: &Path,
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<Summary, prospector_app::AppError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let never = || -> futures::future::BoxFuture<'static, bool> { Box::pin(async { false }) };
    if opts.dry_run {
        return imports::run(app, ctx.ws, None, &path, opts, &mut |_| {}, &never).await;
    }
    let size = bytes.len() as i64;
    let imp = imports::create(app, ctx, name, &path, size, "", opts, false).await?;
    imports::run_stored(app, ctx.ws, imp.iid(), &mut |_| {}, &never).await
}

async fn all_contacts(
    app: &App,
    ctx: &WsCtx,
    q: ListQuery,
) -> Vec<prospector_app::store::contacts::Contact> {
    let mut q = q;
    q.limit = Some("7".into());
    let mut out = Vec::new();
    loop {
        let page = contacts::list_contacts(app, ctx, &q).await.unwrap();
        out.extend(page.data);
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

const SAMPLE: &str = "Firma;E-Mail;Telefon;Webseite;Vorname;Nachname;Ort;Land;Tags;Lieblingsfarbe\n\
Müller GmbH; Info@Mueller.DE ;030 1234567;www.mueller.de/;;;Berlin;Deutschland;vip, berlin;Blau\n\
Acme Inc;john@acme.com;(415) 555-0134;https://acme.com;John;Smith;San Francisco;US;lead;Rot\n\
Acme Inc;JOHN@acme.com;;acme.com;John;;San Francisco;US;;\n\
Acme Inc;mary@acme.com;+1 415 555 0199;acme.com;Mary;Jones;San Francisco;US;;\n\
Bäckerei Schulz;;+49 89 7654321;;;;München;DE;;\n\
\"Smith & Sons, Plumbing\";office@smith-sons.co.uk;020 7946 0958;smith-sons.co.uk;;;London;GB;;\n\
;not-an-email;;;;;Paris;;;\n\
;;;;;;;;;\n";

#[tokio::test]
async fn import_counts_idempotence_and_dry_run() {
    let (app, ctx, dir) = setup().await;
    let opts = ImportOptions::default();
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let d = import_bytes(&app, &ctx, dir.path(), "a.csv", SAMPLE.as_bytes(), &dry).await;
    assert_eq!(
        contacts::count_contacts(&app, &ctx, &ListQuery::default(), 100)
            .await
            .unwrap(),
        0,
        "a dry run writes nothing"
    );
    assert!(
        imports::list(&app, &ctx, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "not even an import row"
    );

    let s = import_bytes(&app, &ctx, dir.path(), "a.csv", SAMPLE.as_bytes(), &opts).await;
    assert_eq!(s.state, "done");
    assert_eq!(s.rows, 8, "the all-blank record is counted as a row: {s:?}");
    assert_eq!(s.errors, 1, "the Paris row has no identity: {s:?}");
    assert_eq!(
        s.duplicates, 1,
        "JOHN@acme.com repeats john@acme.com: {s:?}"
    );
    assert_eq!(s.created, 5, "{s:?}");
    assert_eq!(
        s.companies_created, 4,
        "Acme is one company for three rows: {s:?}"
    );
    assert_eq!(s.contacts_created, 5, "{s:?}");
    assert_eq!(s.encoding, "UTF-8");
    assert_eq!(s.delimiter, ";");
    assert_eq!(
        (d.created, d.duplicates, d.errors),
        (s.created, s.duplicates, s.errors),
        "the dry run predicted the real run"
    );

    let again = import_bytes(&app, &ctx, dir.path(), "a.csv", SAMPLE.as_bytes(), &opts).await;
    assert_eq!(
        (again.created, again.updated),
        (0, 0),
        "a second import creates nothing: {again:?}"
    );
    assert_eq!(again.duplicates, 6);
    let all = all_contacts(&app, &ctx, ListQuery::default()).await;
    assert_eq!(all.len(), 5);

    // Normalised values.
    let mueller = all
        .iter()
        .find(|c| c.f.email.as_deref() == Some("info@mueller.de"))
        .unwrap();
    assert_eq!(mueller.f.phone.as_deref(), Some("+49301234567"));
    assert_eq!(mueller.company_name.as_deref(), Some("Müller GmbH"));
    assert_eq!(mueller.tags, ["berlin", "vip"]);
    assert!(mueller.f.custom.contains("\"lieblingsfarbe\":\"Blau\""));
    let john = all
        .iter()
        .find(|c| c.f.email.as_deref() == Some("john@acme.com"))
        .unwrap();
    assert_eq!(john.f.phone.as_deref(), Some("+14155550134"));
    let mary = all
        .iter()
        .find(|c| c.f.email.as_deref() == Some("mary@acme.com"))
        .unwrap();
    assert_eq!(
        john.f.company_id, mary.f.company_id,
        "two people, one company"
    );
    let smith = all
        .iter()
        .find(|c| c.f.email.as_deref() == Some("office@smith-sons.co.uk"))
        .unwrap();
    assert_eq!(smith.f.phone.as_deref(), Some("+442079460958"));

    // The error report names row, column, value and reason.
    let imp = imports::list(&app, &ctx, None, 10)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let report = String::from_utf8(
        imports::error_report_csv(&app, &ctx, imp.iid())
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(
        report.starts_with("\u{feff}row,line,column,value,reason,severity"),
        "{report}"
    );
    assert!(report.contains("7,8,E-Mail,not-an-email,"), "{report}");
    assert!(report.contains(",error"), "{report}");
}

#[tokio::test]
async fn duplicate_policies_skip_fill_overwrite() {
    let (app, ctx, dir) = setup().await;
    let first = "Email,First Name,Job Title,City\nann@x.com,Ann,,Berlin\n";
    let second = "Email,First Name,Job Title,City\nann@x.com,Anna,CEO,Hamburg\n";
    import_bytes(
        &app,
        &ctx,
        dir.path(),
        "1.csv",
        first.as_bytes(),
        &ImportOptions::default(),
    )
    .await;
    let mut opts = ImportOptions::default();
    let s = import_bytes(&app, &ctx, dir.path(), "2.csv", second.as_bytes(), &opts).await;
    assert_eq!((s.updated, s.duplicates), (0, 1));
    let get = |app: App, ctx: WsCtx| async move {
        all_contacts(&app, &ctx, ListQuery::default())
            .await
            .pop()
            .unwrap()
    };
    let c = get(app.clone(), ctx.clone()).await;
    assert_eq!(
        (c.f.first_name.as_deref(), c.f.job_title.as_deref()),
        (Some("Ann"), None)
    );

    opts.on_duplicate = OnDuplicate::Fill;
    let s = import_bytes(&app, &ctx, dir.path(), "2.csv", second.as_bytes(), &opts).await;
    assert_eq!(s.updated, 1);
    let c = get(app.clone(), ctx.clone()).await;
    assert_eq!(
        (
            c.f.first_name.as_deref(),
            c.f.job_title.as_deref(),
            c.f.city.as_deref()
        ),
        (Some("Ann"), Some("CEO"), Some("Berlin")),
        "fill only fills empty fields"
    );

    opts.on_duplicate = OnDuplicate::Overwrite;
    let s = import_bytes(&app, &ctx, dir.path(), "2.csv", second.as_bytes(), &opts).await;
    assert_eq!(s.updated, 1);
    let c = get(app.clone(), ctx.clone()).await;
    assert_eq!(
        (c.f.first_name.as_deref(), c.f.city.as_deref()),
        (Some("Anna"), Some("Hamburg"))
    );
    let s = import_bytes(&app, &ctx, dir.path(), "2.csv", second.as_bytes(), &opts).await;
    assert_eq!(
        (s.updated, s.duplicates),
        (0, 1),
        "overwriting with the same values changes nothing"
    );
}

#[tokio::test]
async fn many_batches_with_duplicates_across_them() {
    let (app, ctx, dir) = setup().await;
    let mut csv = String::from("Company,Email,Phone,Website,Tags\n");
    for i in 0..5_000 {
        csv.push_str(&format!(
            "Shop {i},owner{i}@shop{i}.com,+1 415 555 {:04},shop{i}.com,batch\n",
            i % 10_000
        ));
    }
    // Duplicates of rows from the first batch, far into the file, in other casing.
    for i in 0..500 {
        csv.push_str(&format!("Shop {i},OWNER{i}@SHOP{i}.COM,,,\n"));
    }
    let s = import_bytes(
        &app,
        &ctx,
        dir.path(),
        "big.csv",
        csv.as_bytes(),
        &ImportOptions::default(),
    )
    .await;
    assert_eq!(
        (s.rows, s.created, s.duplicates, s.errors),
        (5_500, 5_000, 500, 0),
        "{s:?}"
    );
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let d = import_bytes(&app, &ctx, dir.path(), "big.csv", csv.as_bytes(), &dry).await;
    assert_eq!((d.created, d.duplicates), (0, 5_500), "{d:?}");
    let again = import_bytes(
        &app,
        &ctx,
        dir.path(),
        "big.csv",
        csv.as_bytes(),
        &ImportOptions::default(),
    )
    .await;
    assert_eq!(
        (again.created, again.updated, again.duplicates),
        (0, 0, 5_500)
    );
    let q = ListQuery {
        tag: Some("batch".into()),
        limit: Some("1".into()),
        ..Default::default()
    };
    assert_eq!(
        contacts::count_contacts(&app, &ctx, &q, 100_000)
            .await
            .unwrap(),
        5_000
    );
    // Search finds one of them by a word of its email and by its phone.
    let q = ListQuery {
        q: Some("owner4321".into()),
        ..Default::default()
    };
    let hits = all_contacts(&app, &ctx, q).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].f.email.as_deref(), Some("owner4321@shop4321.com"));
    let q = ListQuery {
        q: Some("+1 415 555 4321".into()),
        ..Default::default()
    };
    assert_eq!(all_contacts(&app, &ctx, q).await.len(), 1);
    let q = ListQuery {
        q: Some("shop432".into()),
        ..Default::default()
    };
    assert_eq!(
        all_contacts(&app, &ctx, q).await.len(),
        11,
        "prefix search: shop432 and shop4320-4329"
    );
    // Companies: the same search, walked page by page (FTS-driven on SQLite).
    for sort in ["newest", "oldest", "name"] {
        let mut q = ListQuery {
            q: Some("shop12".into()),
            sort: Some(sort.into()),
            limit: Some("7".into()),
            ..Default::default()
        };
        let mut ids = Vec::new();
        loop {
            let page = contacts::list_companies(&app, &ctx, &q).await.unwrap();
            ids.extend(page.data.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!((n, ids.len()), (111, 111), "companies {sort}");
    }
    let q = ListQuery {
        q: Some("shop12".into()),
        ..Default::default()
    };
    assert_eq!(
        contacts::count_companies(&app, &ctx, &q, 1_000)
            .await
            .unwrap(),
        111
    );
    assert_eq!(
        contacts::count_companies(&app, &ctx, &q, 50).await.unwrap(),
        50,
        "capped"
    );
    // Cursor pagination walks every row once, in every sort order.
    for sort in ["newest", "oldest", "name", "updated"] {
        let q = ListQuery {
            q: Some("shop12".into()),
            sort: Some(sort.into()),
            ..Default::default()
        };
        let rows = all_contacts(&app, &ctx, q).await;
        let mut ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), 111, "{sort}: shop12, shop120-129, shop1200-1299");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 111, "{sort}: no row twice");
    }
}

#[tokio::test]
async fn bad_files_fail_clearly_and_lose_nothing() {
    let (app, ctx, dir) = setup().await;
    let o = ImportOptions::default();
    // Files that cannot be read at all are refused before an import is created.
    let e = try_import(&app, &ctx, dir.path(), "empty.csv", b"", &o)
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "the file is empty");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa";
    let e = try_import(&app, &ctx, dir.path(), "logo.csv", png, &o)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a text/CSV file"), "{e}");
    // A dry run of the same reports it as a failed run instead.
    let dry = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let s = try_import(&app, &ctx, dir.path(), "empty.csv", b"", &dry)
        .await
        .unwrap();
    assert_eq!(
        (s.state.as_str(), s.error.as_deref()),
        ("failed", Some("the file is empty"))
    );
    assert!(
        imports::list(&app, &ctx, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let s = import_bytes(&app, &ctx, dir.path(), "header.csv", b"Email,Name\n", &o).await;
    assert_eq!((s.state.as_str(), s.rows, s.created), ("done", 0, 0));

    let wide: Vec<String> = (0..1_000).map(|i| format!("c{i}")).collect();
    let header = format!("{}\n", wide.join(","));
    let e = try_import(&app, &ctx, dir.path(), "wide.csv", header.as_bytes(), &o)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("1000 columns"), "{e}");

    // An unclosed quote late in the file: the rows before it are imported and counted, and
    // the failure says where the quote opened.
    let mut csv = String::from("Email,Name\n");
    for i in 0..10 {
        csv.push_str(&format!("p{i}@ok.com,P {i}\n"));
    }
    csv.push_str("\"broken@ok.com,Broken\nlast@ok.com,Last\n");
    let s = import_bytes(&app, &ctx, dir.path(), "quote.csv", csv.as_bytes(), &o).await;
    assert_eq!(s.state, "failed");
    assert!(
        s.error.as_deref().unwrap_or_default().contains("row 11"),
        "{s:?}"
    );
    assert_eq!(s.created, 10, "{s:?}");
    assert_eq!(
        contacts::count_contacts(&app, &ctx, &ListQuery::default(), 100)
            .await
            .unwrap(),
        10
    );

    // A 5 MB single line is one row-level error; the rows around it import.
    let mut csv = String::from("Email,Name\nbefore@ok.com,Before\nhuge@ok.com,");
    csv.push_str(&"x".repeat(5 * 1024 * 1024));
    csv.push_str("\nafter@ok.com,After\n");
    let s = import_bytes(&app, &ctx, dir.path(), "long.csv", csv.as_bytes(), &o).await;
    assert_eq!(
        (s.state.as_str(), s.created, s.errors),
        ("done", 2, 1),
        "{s:?}"
    );

    // UTF-16 with a BOM and Windows-1252 both decode.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "Email\tName\njose@ok.com\tJosé\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let s = import_bytes(&app, &ctx, dir.path(), "u16.csv", &utf16, &o).await;
    assert_eq!(
        (s.encoding.as_str(), s.delimiter.as_str(), s.created),
        ("UTF-16LE", "\t", 1),
        "{s:?}"
    );
    let latin1 = b"Email;Name\nfrancois@ok.com;Fran\xe7ois\n";
    let s = import_bytes(&app, &ctx, dir.path(), "l1.csv", latin1, &o).await;
    assert_eq!(s.created, 1, "{s:?}");
    let q = ListQuery {
        q: Some("françois".into()),
        ..Default::default()
    };
    assert_eq!(
        all_contacts(&app, &ctx, q).await[0].f.full_name.as_deref(),
        Some("François")
    );

    // A mapping to an unknown column is refused before anything is stored.
    let path = dir.path().join("m.csv");
    std::fs::write(&path, "Email\na@b.com\n").unwrap();
    let bad = ImportOptions {
        map: vec!["Nope=email".into()],
        ..ImportOptions::default()
    };
    let e = imports::validate_options(&path, &bad).unwrap_err();
    assert!(e.to_string().contains("Nope"), "{e}");
}

#[tokio::test]
async fn erase_deletes_and_suppresses() {
    let (app, ctx, dir) = setup().await;
    import_bytes(
        &app,
        &ctx,
        dir.path(),
        "a.csv",
        SAMPLE.as_bytes(),
        &ImportOptions::default(),
    )
    .await;
    let all = all_contacts(&app, &ctx, ListQuery::default()).await;
    let john = all
        .iter()
        .find(|c| c.f.email.as_deref() == Some("john@acme.com"))
        .unwrap();
    let suppressed = contacts::erase_contact(&app, &ctx, john.cid())
        .await
        .unwrap();
    assert_eq!(suppressed, ["john@acme.com", "+14155550134"]);
    assert!(contacts::contact(&app, &ctx, john.cid()).await.is_err());
    assert!(
        prospector_app::store::suppressions::is_suppressed(
            app.db(),
            ctx.ws,
            "email",
            "john@acme.com"
        )
        .await
        .unwrap()
    );
    // The export escapes formula starts and has one line per contact.
    let csv = contacts::export_csv(&app, &ctx, &ListQuery::default(), false, false, Vec::new())
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
    assert!(csv.contains(",'+49301234567,"), "{csv}");
}

#[tokio::test]
async fn same_name_different_websites_are_different_companies() {
    let (app, ctx, dir) = setup().await;
    let csv = "Company,Website,City,Email\n\
               Hughes Barbers,hughes-barbers-1.com,Phoenix,a@hughes-barbers-1.com\n\
               Hughes Barbers,hughes-barbers-2.com,Phoenix,b@hughes-barbers-2.com\n\
               Hughes Barbers,,Phoenix,c@gmail.com\n";
    let s = import_bytes(
        &app,
        &ctx,
        dir.path(),
        "h.csv",
        csv.as_bytes(),
        &ImportOptions::default(),
    )
    .await;
    assert_eq!(s.companies_created, 2, "{s:?}");
    assert_eq!(s.contacts_created, 3, "{s:?}");
    let q = ListQuery {
        q: Some("phoenix".into()),
        ..Default::default()
    };
    assert_eq!(
        all_contacts(&app, &ctx, q).await.len(),
        3,
        "the company's city is searchable on its contacts"
    );
    let again = import_bytes(
        &app,
        &ctx,
        dir.path(),
        "h.csv",
        csv.as_bytes(),
        &ImportOptions::default(),
    )
    .await;
    assert_eq!((again.created, again.duplicates), (0, 3));
}

/// A file over `DEFER_SEARCH_BYTES` adds its rows to the SQLite search index once, at the end
/// (PostgreSQL indexes per row): rows changed by later rows of the same file while they were
/// out of the index are found by their final text, each exactly once, and a second run of
/// the file creates nothing.
#[tokio::test]
async fn large_file_is_searchable_when_it_finishes() {
    let (app, ctx, dir) = setup().await;
    let filler = "x".repeat(120);
    let mut csv = String::from("Company,Email,Phone,Website,Beschreibung\n");
    for i in 0..14_000 {
        csv.push_str(&format!(
            "Shop {i},owner{i}@shop{i}.com,,shop{i}.com,{filler}\n"
        ));
    }
    // Later rows give the first thousand contacts a phone (fill), changing their search text
    // after they were written.
    for i in 0..1_000 {
        csv.push_str(&format!(
            "Shop {i},owner{i}@shop{i}.com,+1 415 555 {i:04},shop{i}.com,\n"
        ));
    }
    assert!(
        csv.len() as u64 >= imports::DEFER_SEARCH_BYTES,
        "{}",
        csv.len()
    );
    let fill = ImportOptions {
        on_duplicate: OnDuplicate::Fill,
        ..ImportOptions::default()
    };
    let s = import_bytes(&app, &ctx, dir.path(), "large.csv", csv.as_bytes(), &fill).await;
    assert_eq!(
        (s.rows, s.created, s.updated, s.errors, s.state.as_str()),
        (15_000, 14_000, 1_000, 0, "done"),
        "{s:?}"
    );
    let search = |term: &str| ListQuery {
        q: Some(term.into()),
        ..Default::default()
    };
    let hits = all_contacts(&app, &ctx, search("+1 415 555 0042")).await;
    assert_eq!(
        hits.len(),
        1,
        "the phone added by a later row is searchable"
    );
    assert_eq!(hits[0].f.email.as_deref(), Some("owner42@shop42.com"));
    assert_eq!(
        all_contacts(&app, &ctx, search("owner13999")).await.len(),
        1
    );
    let hits = all_contacts(&app, &ctx, search("shop1399")).await;
    let mut ids: Vec<i64> = hits.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (hits.len(), ids.len()),
        (11, 11),
        "shop1399, shop13990-13999, once each"
    );
    assert_eq!(
        contacts::count_companies(&app, &ctx, &search("shop1399"), 1_000)
            .await
            .unwrap(),
        11
    );
    let again = import_bytes(&app, &ctx, dir.path(), "large.csv", csv.as_bytes(), &fill).await;
    assert_eq!(
        (again.created, again.updated, again.duplicates),
        (0, 0, 15_000),
        "{again:?}"
    );
    // A small import afterwards is indexed row by row, as before.
    let small = "Company,Email\nLate Shop,late@late-shop.com\n";
    let s = import_bytes(&app, &ctx, dir.path(), "small.csv", small.as_bytes(), &fill).await;
    assert_eq!(s.created, 1);
    assert_eq!(all_contacts(&app, &ctx, search("late")).await.len(), 1);
    assert_eq!(
        all_contacts(&app, &ctx, search("owner4")).await.len(),
        1_111
    );
}

/// An import whose run stopped half way (here a panic after its first commit; in life a
/// crash or a job that used up its retries) and whose job will not run again is failed by
/// the housekeeping sweep, with what it wrote kept and searchable (a large SQLite import keeps
/// its rows out of the search index until it finishes).
#[tokio::test]
async fn an_import_whose_job_stopped_is_failed_and_searchable() {
    use futures::FutureExt;
    let (app, ctx, dir) = setup().await;
    let filler = "y".repeat(150);
    let mut csv = String::from("Company,Email,Website,Beschreibung\n");
    for i in 0..16_000 {
        csv.push_str(&format!(
            "Store {i},owner{i}@store{i}.com,store{i}.com,{filler}\n"
        ));
    }
    assert!(csv.len() as u64 >= imports::DEFER_SEARCH_BYTES);
    let path = dir.path().join("stops.csv");
    std::fs::write(&path, &csv).unwrap();
    let opts = ImportOptions::default();
    let imp = imports::create(
        &app,
        &ctx,
        "stops.csv",
        &path,
        csv.len() as i64,
        "",
        &opts,
        true,
    )
    .await
    .unwrap();
    let never = || -> futures::future::BoxFuture<'static, bool> { Box::pin(async { false }) };
    // The first batch waits out the commit interval, so the second commits; the run then
    // dies before the third batch is written.
    let mut batches = 0;
    let mut on_progress = |_: &imports::Progress| {
        batches += 1;
        match batches {
            1 => std::thread::sleep(std::time::Duration::from_millis(2_200)),
            2 => panic!("the worker process dies here"),
            _ => {}
        }
    };
    let run = imports::run_stored(&app, ctx.ws, imp.iid(), &mut on_progress, &never);
    assert!(
        std::panic::AssertUnwindSafe(run)
            .catch_unwind()
            .await
            .is_err(),
        "the run was meant to stop half way"
    );
    let stuck = imports::get(&app, &ctx, imp.iid()).await.unwrap();
    assert_eq!(stuck.state, "running");
    // Two batches (one when the first alone outlasted the commit interval).
    let kept = stuck.rows_done;
    assert!(kept == 10_000 || kept == 5_000, "{kept}");

    let search = |term: &str| ListQuery {
        q: Some(term.into()),
        ..Default::default()
    };
    if app.db().backend() == prospector_app::store::Backend::Sqlite {
        assert!(
            all_contacts(&app, &ctx, search("owner4999"))
                .await
                .is_empty(),
            "kept out of search while the import is unfinished"
        );
    }
    let quiet = prospector_app::core::time::now_ms() + 1;
    // The job is still queued: it may run again, so the sweep leaves the import alone.
    assert_eq!(imports::abandon_orphans(&app, quiet).await.unwrap(), 0);
    let job = prospector_app::core::ids::JobId(stuck.job_id.unwrap());
    prospector_app::store::jobs::cancel(app.db(), ctx.ws, job)
        .await
        .unwrap();
    // Touched more recently than the idle threshold: left for later.
    assert_eq!(
        imports::abandon_orphans(&app, stuck.updated_at)
            .await
            .unwrap(),
        0
    );
    assert_eq!(imports::abandon_orphans(&app, quiet).await.unwrap(), 1);
    let failed = imports::get(&app, &ctx, imp.iid()).await.unwrap();
    assert_eq!(failed.state, "failed");
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or("")
            .contains("stopped before the import finished"),
        "{:?}",
        failed.error
    );
    assert_eq!(
        imports::abandon_orphans(&app, quiet).await.unwrap(),
        0,
        "once"
    );
    let search = |term: &str| ListQuery {
        q: Some(term.into()),
        ..Default::default()
    };
    assert_eq!(
        all_contacts(&app, &ctx, search("owner4999")).await.len(),
        1,
        "a committed row is searchable"
    );
    assert_eq!(
        contacts::count_companies(&app, &ctx, &search("store4242"), 1_000)
            .await
            .unwrap(),
        1
    );
    assert!(
        all_contacts(&app, &ctx, search("owner12345"))
            .await
            .is_empty()
    );
    // Running the file again takes the rest, each row once.
    let s = import_bytes(&app, &ctx, dir.path(), "stops.csv", csv.as_bytes(), &opts).await;
    assert_eq!((s.created, s.duplicates), (16_000 - kept, kept), "{s:?}");
    assert_eq!(
        all_contacts(&app, &ctx, search("owner12345")).await.len(),
        1
    );
    assert_eq!(all_contacts(&app, &ctx, search("owner4999")).await.len(), 1);
}
