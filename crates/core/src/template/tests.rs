use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;

use super::*;

fn ctx() -> Context {
    Context::new()
        .with("first_name", "anna")
        .with("company.name", "Acme & Sons")
        .with("custom.plan", "Pro")
        .with("ai.opening_line", "Loved your new menu.")
        .with("facts.website_score", "42")
        .with("blank", "   ")
}

fn r(src: &str) -> Rendered {
    Template::parse(src)
        .unwrap_or_else(|e| panic!("{src:?}: {e}"))
        .render(&ctx(), 7, Escaping::None)
}

fn text(src: &str) -> String {
    r(src).text
}

fn err(src: &str) -> TemplateError {
    match Template::parse(src) {
        Err(e) => e,
        Ok(t) => panic!("{src:?} parsed: {t:?}"),
    }
}

#[test]
fn variables_and_dotted_paths() {
    assert_eq!(
        text("Hi {{first_name}} at {{ company.name }}, plan {{custom.plan}}"),
        "Hi anna at Acme & Sons, plan Pro"
    );
    assert_eq!(
        text("{{ai.opening_line}} {{facts.website_score}}"),
        "Loved your new menu. 42"
    );
    let t = Template::parse("{{a}} {{b.c}} {{a}}").unwrap();
    assert_eq!(t.variables(), vec!["a", "b.c"]);
    assert_eq!(t.variable_refs().len(), 3);
    assert_eq!(
        (t.variable_refs()[1].line, t.variable_refs()[1].column),
        (1, 7)
    );
}

#[test]
fn fallbacks() {
    assert_eq!(text("Hi {{last_name|there}}!"), "Hi there!");
    assert_eq!(text("Hi {{last_name | there }}!"), "Hi there!");
    assert_eq!(text("Hi {{last_name|dear friend}}!"), "Hi dear friend!");
    assert_eq!(
        text("Hi {{last_name|\" dear friend \"}}!"),
        "Hi  dear friend !"
    );
    assert_eq!(text("{{x|\"a|b}}c\"}}"), "a|b}}c");
    assert_eq!(text("{{x|\"say \\\"hi\\\" \\\\o/\"}}"), "say \"hi\" \\o/");
    // Blank values take the fallback too.
    assert_eq!(text("Hi {{blank|there}}!"), "Hi there!");
    // A present value wins.
    assert_eq!(text("Hi {{first_name|there}}!"), "Hi anna!");
    // Fallbacks are not reported missing.
    assert!(r("{{nope|x}}").report.is_complete());
}

#[test]
fn missing_is_empty_and_reported_once() {
    let out = r("Hi {{nope}}, {{blank}} and {{nope}} {{first_name}}");
    assert_eq!(out.text, "Hi ,  and  anna");
    assert_eq!(out.report.missing, vec!["nope", "blank"]);
}

#[test]
fn empty_fallback_means_optional() {
    let out = r("{{ai.missing_line|}}Hello");
    assert_eq!(out.text, "Hello");
    assert!(out.report.is_complete());
}

#[test]
fn filters() {
    assert_eq!(text("{{first_name:title}}"), "Anna");
    assert_eq!(text("{{first_name:upper}}"), "ANNA");
    assert_eq!(text("{{ company.name : lower }}"), "acme & sons");
    assert_eq!(text("{{first_name:capitalize}}"), "Anna");
    assert_eq!(text("{{company.name:first_word:upper}}"), "ACME");
    // The fallback is not filtered.
    assert_eq!(text("{{nope:upper|there}}"), "there");
    assert_eq!(Filter::Title.apply("JEAN-luc o'NEIL"), "Jean-Luc O'neil");
    assert_eq!(Filter::Trim.apply("  a b "), "a b");
    assert_eq!(Filter::FirstWord.apply("  "), "");
    assert_eq!(Filter::Capitalize.apply("éva"), "Éva");
    let e = err("{{first_name:uppr}}");
    assert_eq!(e.kind, TemplateErrorKind::UnknownFilter("uppr".into()));
    assert_eq!((e.line, e.column), (1, 14));
    // `|upper` is a fallback, never a filter.
    assert_eq!(text("{{nope|upper}}"), "upper");
}

#[test]
fn html_escaping_of_values_only() {
    let t = Template::parse("<b>{{company.name}}</b> {{nope|<you>}}").unwrap();
    let out = t.render(&ctx(), 0, Escaping::Html);
    assert_eq!(out.text, "<b>Acme &amp; Sons</b> &lt;you&gt;");
    let out = t.render(&ctx(), 0, Escaping::None);
    assert_eq!(out.text, "<b>Acme & Sons</b> <you>");
}

#[test]
fn errors_have_positions() {
    let e = err("Hello\n  {{first_name");
    assert_eq!(e.kind, TemplateErrorKind::UnclosedVariable);
    assert_eq!((e.line, e.column), (2, 3));
    assert_eq!(
        e.to_string(),
        "line 2, column 3: `{{` is not closed with `}}` on the same line"
    );
    assert_eq!(err("a {{ }} b").kind, TemplateErrorKind::EmptyVariable);
    assert_eq!(err("a {{|x}} b").kind, TemplateErrorKind::EmptyVariable);
    let e = err("x\nab {{first name}}");
    assert_eq!(e.kind, TemplateErrorKind::BadName("first name".into()));
    assert_eq!((e.line, e.column), (2, 6));
    assert_eq!(
        err("{{a..b}}").kind,
        TemplateErrorKind::BadName("a..b".into())
    );
    assert_eq!(err("{{a}b}}").kind, TemplateErrorKind::BadName("a}".into()));
    assert_eq!(err("{{a{b}}").kind, TemplateErrorKind::BadName("a{".into()));
    assert_eq!(
        err("{{first_name\n}}").kind,
        TemplateErrorKind::UnclosedVariable
    );
    assert_eq!(err("{{a|\"x\ny\"}}").kind, TemplateErrorKind::UnclosedQuote);
    assert_eq!(err("{{a|\"x}}").kind, TemplateErrorKind::UnclosedQuote);
    assert!(matches!(
        err("{{a|\"x\" y}}").kind,
        TemplateErrorKind::BadFallback(_)
    ));
    assert!(matches!(
        err("{{a|x|y}}").kind,
        TemplateErrorKind::BadFallback(_)
    ));
    let e = err("ok\n  {Hi|Hello there");
    assert_eq!(e.kind, TemplateErrorKind::UnclosedSpintax);
    assert_eq!((e.line, e.column), (2, 3));
    assert_eq!(err("{a|{b|c}").kind, TemplateErrorKind::UnclosedSpintax);
    assert_eq!(err("x { | ").kind, TemplateErrorKind::UnclosedSpintax);
    // With a `;` or `"` after it, an unclosed `{` is plain text (code, CSS).
    assert!(Template::parse("x { a | b; ").is_ok());
}

#[test]
fn names_may_be_custom_field_slugs() {
    assert_eq!(
        Template::parse("{{custom.2024_revenue}} {{custom.größe}} {{x-y}}")
            .unwrap()
            .variables(),
        vec!["custom.2024_revenue", "custom.größe", "x-y"]
    );
}

#[test]
fn spintax_basic_and_nested() {
    let t = Template::parse("{Hi|Hello|Hey} {{first_name}}").unwrap();
    assert_eq!(t.spintax_groups(), 1);
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        seen.insert(t.render(&ctx(), seed, Escaping::None).text);
    }
    let want: BTreeSet<String> = ["Hi anna", "Hello anna", "Hey anna"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(seen, want);

    let t = Template::parse("{Hi|{Hello|Hey} there}!").unwrap();
    assert_eq!(t.spintax_groups(), 2);
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        seen.insert(t.render(&ctx(), seed, Escaping::None).text);
    }
    assert_eq!(
        seen,
        ["Hi!", "Hello there!", "Hey there!"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
}

#[test]
fn spintax_with_variables_and_empty_options() {
    let t = Template::parse("{Hi {{first_name:title}}|{{{nope|there}}|Hey}}!").unwrap();
    let mut seen = BTreeSet::new();
    for seed in 0..300 {
        seen.insert(t.render(&ctx(), seed, Escaping::None).text);
    }
    let want: BTreeSet<String> = ["Hi Anna!", "there!", "Hey!"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(seen, want);
    let t = Template::parse("Thanks{ a lot|}.").unwrap();
    let mut seen = BTreeSet::new();
    for seed in 0..100 {
        seen.insert(t.render(&ctx(), seed, Escaping::None).text);
    }
    assert_eq!(seen.len(), 2);
    assert!(seen.contains("Thanks.") && seen.contains("Thanks a lot."));
}

#[test]
fn only_chosen_options_report_missing() {
    let t = Template::parse("{{{nope}}|x}").unwrap();
    let mut missing = 0;
    for seed in 0..100 {
        let out = t.render(&ctx(), seed, Escaping::None);
        if out.text.is_empty() {
            assert_eq!(out.report.missing, vec!["nope"]);
            missing += 1;
        } else {
            assert!(out.report.is_complete());
        }
    }
    assert!(missing > 20 && missing < 80);
}

#[test]
fn same_seed_same_text_and_seeds_spread() {
    let t = Template::parse("{A|B|C} {1|2|3|4}").unwrap();
    let a = t.render(&ctx(), 12345, Escaping::None);
    let b = t.render(&ctx(), 12345, Escaping::None);
    assert_eq!(a, b);
    let mut counts: HashMap<String, u32> = HashMap::new();
    for seed in 0..3000u64 {
        *counts
            .entry(t.render(&ctx(), seed, Escaping::None).text)
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 12);
    // Expected 250 each; independent groups and an even spread.
    assert!(
        counts.values().all(|&c| (180..=320).contains(&c)),
        "{counts:?}"
    );
}

#[test]
fn braces_that_are_not_spintax_stay_literal() {
    for src in [
        "<style>a { color: red; } p {margin:0}</style>",
        "a { color: red }",
        "{\"a\": 1, \"b\": [1, 2]}",
        "{\"sep\": \"|\"}",
        "function f() { return a || b; }",
        "set {x}",
        "{}",
        "x } y { z",
        "{a|b;}",
        "{a\n|b}",
        "a {\n  b | c\n}",
        "{{{x|\"}\"}}",
    ] {
        let t = Template::parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        assert_eq!(t.spintax_groups(), 0, "{src:?}");
        if !src.contains("{{") {
            assert_eq!(t.render(&ctx(), 1, Escaping::None).text, src);
        }
    }
    // CSS next to a real group on another line.
    let t = Template::parse("<style>p { margin: 0 }</style>\n<p>{Hi|Hi}</p>").unwrap();
    assert_eq!(
        t.render(&ctx(), 3, Escaping::Html).text,
        "<style>p { margin: 0 }</style>\n<p>Hi</p>"
    );
}

#[test]
fn escapes() {
    assert_eq!(text(r"\{\{first_name\}\}"), "{{first_name}}");
    assert_eq!(text(r"\{Hi|Hello\}"), "{Hi|Hello}");
    assert_eq!(text(r"{Hi\|there|Hi\|there}"), "Hi|there");
    assert_eq!(text(r"C:\path\n \\{x}"), r"C:\path\n \{x}");
    assert_eq!(text(r"a\"), r"a\");
}

#[test]
fn triple_braces_are_group_then_variable() {
    let t = Template::parse("{{{first_name}}|{{first_name}}}").unwrap();
    assert_eq!(t.spintax_groups(), 1);
    assert_eq!(t.render(&ctx(), 9, Escaping::None).text, "anna");
}

#[test]
fn group_starting_with_a_nested_group() {
    // `{{` that is not a variable but opens spintax with a nested group first.
    let t = Template::parse("{{Hello|Hey} there|Hi}!").unwrap();
    assert_eq!(t.spintax_groups(), 2);
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        seen.insert(t.render(&ctx(), seed, Escaping::None).text);
    }
    let want: BTreeSet<String> = ["Hello there!", "Hey there!", "Hi!"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(seen, want);
    assert_eq!(Template::parse("{{a|b}|c}").unwrap().spintax_groups(), 2);
    // A broken variable stays an error with the variable's reason.
    assert_eq!(
        err("{{first name}}").kind,
        TemplateErrorKind::BadName("first name".into())
    );
    assert_eq!(
        err("Hi {{first_name|there").kind,
        TemplateErrorKind::UnclosedVariable
    );
    assert!(matches!(
        err("{{a|b}c}}").kind,
        TemplateErrorKind::BadFallback(_)
    ));
}

#[test]
fn pathological_input_parses_quickly() {
    let started = std::time::Instant::now();
    let _ = Template::parse(&"{{x ".repeat(50_000));
    let _ = Template::parse(&"{".repeat(200_000));
    let _ = Template::parse(&"{a|".repeat(50_000));
    let _ = Template::parse(&"{{a|\"".repeat(50_000));
    let _ = Template::parse(&format!("{}a|b", "{ ".repeat(100_000)));
    let _ = text_to_html(&format!("http://x{}", ")".repeat(200_000)));
    let _ = text_to_html(&"(http://a ".repeat(20_000));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn too_deep_is_an_error() {
    let mut src = String::new();
    for _ in 0..40 {
        src.push_str("{a|");
    }
    for _ in 0..40 {
        src.push('}');
    }
    assert_eq!(err(&src).kind, TemplateErrorKind::TooDeep);
    let mut ok = String::new();
    for _ in 0..10 {
        ok.push_str("{a|");
    }
    for _ in 0..10 {
        ok.push('}');
    }
    assert_eq!(Template::parse(&ok).unwrap().spintax_groups(), 10);
}

#[test]
fn validate_reports_unknown_with_positions() {
    let known = KnownVariables::new()
        .names(["first_name", "company.name", "unsubscribe_url"])
        .custom_fields(["plan"])
        .prefix("ai")
        .prefix("facts.")
        .prefix("sender");
    let t = Template::parse(
        "Hi {{first_name}} {{frist_name}}\n{{custom.plan}} {{custom.tier}} {{ai.x}} {{ai}} \
         {{facts.a.b}} {{sender.name}} {{unsubscribe_url}}",
    )
    .unwrap();
    let bad = validate(&t, &known);
    let names: Vec<(&str, u32, u32)> = bad
        .iter()
        .map(|u| (u.name.as_str(), u.line, u.column))
        .collect();
    assert_eq!(
        names,
        vec![("frist_name", 1, 19), ("custom.tier", 2, 17), ("ai", 2, 42)]
    );
}

#[test]
fn json_lookup() {
    let v = serde_json::json!({
        "first_name": "Ann",
        "company": {"name": "Acme", "reviews": 12, "open": true, "tags": ["a"]},
        "custom.plan": "Pro",
        "nothing": null
    });
    let t = Template::parse(
        "{{first_name}} {{company.name}} {{company.reviews}} {{company.open}} {{custom.plan}} \
         {{company.tags|-}} {{nothing|none}}",
    )
    .unwrap();
    assert_eq!(
        t.render(&v, 0, Escaping::None).text,
        "Ann Acme 12 true Pro - none"
    );
    let map: HashMap<String, String> = [("a".to_string(), "1".to_string())].into();
    let t = Template::parse("{{a}}{{b}}").unwrap();
    let out = t.render(&map, 0, Escaping::None);
    assert_eq!((out.text.as_str(), out.report.missing.len()), ("1", 1));
}

#[test]
fn text_to_html_paragraphs_breaks_links() {
    assert_eq!(text_to_html(""), "");
    assert_eq!(
        text_to_html("Hi Ann,\n\nSee https://example.com/a?b=1&c=2.\nThanks <3\r\n\r\n\r\nBob"),
        "<p>Hi Ann,</p>\n<p>See <a href=\"https://example.com/a?b=1&amp;c=2\">\
         https://example.com/a?b=1&amp;c=2</a>.<br>\nThanks &lt;3</p>\n<p>Bob</p>"
    );
    assert_eq!(
        text_to_html("(see http://x.org/wiki/A_(b)) or HTTPS://y.io, not xhttp://z nor https://"),
        "<p>(see <a href=\"http://x.org/wiki/A_(b)\">http://x.org/wiki/A_(b)</a>) or \
         <a href=\"HTTPS://y.io\">HTTPS://y.io</a>, not xhttp://z nor https://</p>"
    );
    assert_eq!(
        text_to_html("a \"quote\" & 'apos'"),
        "<p>a &quot;quote&quot; &amp; &#39;apos&#39;</p>"
    );
}

#[test]
fn escape_html_all_specials() {
    assert_eq!(
        escape_html("<a href=\"x\">&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
    );
}

/// Every text a (small) spintax tree can produce.
#[derive(Debug, Clone)]
enum Spin {
    Word(String),
    Group(Vec<Vec<Spin>>),
}

fn spin_src(items: &[Spin]) -> String {
    let mut s = String::new();
    for it in items {
        match it {
            Spin::Word(w) => s.push_str(w),
            Spin::Group(opts) => {
                s.push('{');
                for (i, o) in opts.iter().enumerate() {
                    if i > 0 {
                        s.push('|');
                    }
                    s.push_str(&spin_src(o));
                }
                s.push('}');
            }
        }
    }
    s
}

fn expansions(items: &[Spin]) -> BTreeSet<String> {
    let mut acc: BTreeSet<String> = [String::new()].into();
    for it in items {
        let tails: BTreeSet<String> = match it {
            Spin::Word(w) => [w.clone()].into(),
            Spin::Group(opts) => opts.iter().flat_map(|o| expansions(o)).collect(),
        };
        acc = acc
            .iter()
            .flat_map(|a| tails.iter().map(move |t| format!("{a}{t}")))
            .collect();
    }
    acc
}

fn spin_tree() -> impl Strategy<Value = Vec<Spin>> {
    let leaf = "[a-z ,.!]{0,4}".prop_map(Spin::Word);
    let node = leaf.prop_recursive(3, 24, 3, |inner| {
        prop::collection::vec(prop::collection::vec(inner, 0..3), 2..4).prop_map(Spin::Group)
    });
    prop::collection::vec(node, 0..4)
}

proptest! {
    #[test]
    fn parse_and_render_never_panic(src in "\\PC{0,200}", seed in any::<u64>()) {
        if let Ok(t) = Template::parse(&src) {
            let _ = t.render(&ctx(), seed, Escaping::Html);
            let _ = t.render(&serde_json::Value::Null, seed, Escaping::None);
        }
    }

    #[test]
    fn brace_soup_never_panics(src in "[{}|\\\\\"; a:\n]{0,80}", seed in any::<u64>()) {
        if let Ok(t) = Template::parse(&src) {
            let _ = t.render(&ctx(), seed, Escaping::None);
        }
    }

    #[test]
    fn text_without_braces_is_identity(src in "[^{}\\\\]{0,200}", seed in any::<u64>()) {
        let t = Template::parse(&src).unwrap();
        prop_assert_eq!(t.render(&Context::new(), seed, Escaping::None).text, src);
    }

    #[test]
    fn same_seed_same_output(tree in spin_tree(), seed in any::<u64>()) {
        let t = Template::parse(&spin_src(&tree)).unwrap();
        let a = t.render(&ctx(), seed, Escaping::None);
        let b = t.render(&ctx(), seed, Escaping::None);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn every_choice_is_an_option(tree in spin_tree(), seed in any::<u64>()) {
        let src = spin_src(&tree);
        let t = Template::parse(&src).unwrap();
        let out = t.render(&ctx(), seed, Escaping::None).text;
        let all = expansions(&tree);
        prop_assert!(all.contains(&out), "{:?} gave {:?}, not in {:?}", src, out, all);
    }

    #[test]
    fn text_to_html_never_panics_and_escapes(src in "\\PC{0,200}") {
        let html = text_to_html(&src);
        // No raw `<` survives except our own tags.
        let stripped = html
            .replace("<p>", "")
            .replace("</p>", "")
            .replace("<br>", "")
            .replace("</a>", "");
        let stripped = regex_free_strip_anchors(&stripped);
        prop_assert!(!stripped.contains('<'), "{}", html);
    }
}

/// Removes `<a href="...">` openers (the href is escaped, so it holds no `"`).
fn regex_free_strip_anchors(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<a href=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 9..];
        match after.find("\">") {
            Some(j) => rest = &after[j + 2..],
            None => {
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
