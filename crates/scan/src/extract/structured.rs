//! schema.org data: JSON-LD (with `@graph`, arrays and broken JSON tolerated) and microdata,
//! plus the Organization/LocalBusiness summary a salesperson wants.

use scraper::{ElementRef, Html, Selector};
use serde_json::{Map, Value};
use std::sync::LazyLock;

use crate::report::Business;

static LD_SEL: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(r#"script[type="application/ld+json" i]"#).expect("static selector")
});
static SCOPE_SEL: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("[itemscope]").expect("static selector"));

/// Largest JSON-LD block we try to parse; beyond it the page is abusive, not informative.
const MAX_LD_BYTES: usize = 512 * 1024;
/// Items kept per page, so a product catalogue does not flood the report.
const MAX_ITEMS: usize = 50;

/// A schema.org item (format, type, properties).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// json-ld or microdata.
    pub format: &'static str,
    /// schema.org type(s).
    pub item_type: String,
    /// Properties.
    pub properties: Value,
}

/// JSON-LD items of a page, and the number of blocks that could not be parsed.
pub fn json_ld(doc: &Html) -> (Vec<Item>, usize) {
    let mut items = Vec::new();
    let mut broken = 0;
    for el in doc.select(&LD_SEL) {
        let raw: String = el.text().collect();
        if raw.len() > MAX_LD_BYTES {
            broken += 1;
            continue;
        }
        match parse_lenient(&raw) {
            Some(values) => {
                for v in values {
                    flatten(&v, &mut items, 0);
                }
            }
            None => broken += 1,
        }
        if items.len() >= MAX_ITEMS {
            items.truncate(MAX_ITEMS);
            break;
        }
    }
    (items, broken)
}

/// Parses JSON the way browsers-tolerant sites write it: comments, CDATA, trailing commas,
/// raw control characters and several concatenated objects.
pub fn parse_lenient(raw: &str) -> Option<Vec<Value>> {
    let s = raw.trim();
    if let Ok(v) = serde_json::from_str::<Value>(s) {
        return Some(vec![v]);
    }
    let s = s
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim()
        .trim_start_matches("//<![CDATA[")
        .trim_start_matches("<![CDATA[")
        .trim_end_matches("//]]>")
        .trim_end_matches("]]>")
        .trim();
    let repaired = repair(s);
    if let Ok(v) = serde_json::from_str::<Value>(&repaired) {
        return Some(vec![v]);
    }
    // Several top-level values one after another.
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_str(&repaired).into_iter::<Value>();
    for v in stream {
        match v {
            Ok(v) => out.push(v),
            Err(_) => break,
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Removes `//` and `/* */` comments outside strings, trailing commas and raw newlines
/// inside strings.
fn repair(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut in_str = false;
    while i < chars.len() {
        let c = chars[i];
        if in_str {
            match c {
                '\\' => {
                    out.push(c);
                    if let Some(n) = chars.get(i + 1) {
                        out.push(*n);
                    }
                    i += 2;
                    continue;
                }
                '"' => in_str = false,
                '\n' | '\r' | '\t' => {
                    out.push(' ');
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            ',' => {
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                if !matches!(next, Some('}') | Some(']')) {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn type_of(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("@type")? {
        Value::String(s) => Some(strip_schema(s)),
        Value::Array(a) => {
            let t: Vec<String> = a
                .iter()
                .filter_map(Value::as_str)
                .map(strip_schema)
                .collect();
            if t.is_empty() {
                None
            } else {
                Some(t.join(","))
            }
        }
        _ => None,
    }
}

fn strip_schema(s: &str) -> String {
    s.trim()
        .trim_start_matches("http://schema.org/")
        .trim_start_matches("https://schema.org/")
        .trim_start_matches("schema:")
        .to_string()
}

fn flatten(v: &Value, out: &mut Vec<Item>, depth: usize) {
    if depth > 8 || out.len() >= MAX_ITEMS {
        return;
    }
    match v {
        Value::Array(a) => {
            for x in a {
                flatten(x, out, depth + 1);
            }
        }
        Value::Object(obj) => {
            if let Some(g) = obj.get("@graph") {
                flatten(g, out, depth + 1);
            }
            if let Some(t) = type_of(obj) {
                let mut props = obj.clone();
                props.remove("@context");
                props.remove("@graph");
                out.push(Item {
                    format: "json-ld",
                    item_type: t,
                    properties: Value::Object(props),
                });
            }
        }
        _ => {}
    }
}

/// Microdata items (top-level `itemscope` elements, nested items as nested objects).
pub fn microdata(doc: &Html) -> Vec<Item> {
    let mut out = Vec::new();
    for el in doc.select(&SCOPE_SEL) {
        // Only top-level scopes: nested ones are properties of their parent.
        if el.value().attr("itemprop").is_some() {
            continue;
        }
        let t = el
            .value()
            .attr("itemtype")
            .map(|t| {
                t.split_whitespace()
                    .map(|x| x.rsplit('/').next().unwrap_or(x).to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let props = scope_props(el, 0);
        out.push(Item {
            format: "microdata",
            item_type: t,
            properties: Value::Object(props),
        });
        if out.len() >= MAX_ITEMS {
            break;
        }
    }
    out
}

fn scope_props(scope: ElementRef<'_>, depth: usize) -> Map<String, Value> {
    let mut props = Map::new();
    if depth > 6 {
        return props;
    }
    collect_props(scope, &mut props, depth);
    props
}

fn collect_props(el: ElementRef<'_>, props: &mut Map<String, Value>, depth: usize) {
    for child in el.children().filter_map(ElementRef::wrap) {
        let v = child.value();
        if let Some(names) = v.attr("itemprop") {
            let value = if v.attr("itemscope").is_some() {
                let mut nested = scope_props(child, depth + 1);
                if let Some(t) = v.attr("itemtype") {
                    nested.insert(
                        "@type".into(),
                        Value::String(t.rsplit('/').next().unwrap_or(t).to_string()),
                    );
                }
                Value::Object(nested)
            } else {
                Value::String(prop_value(child))
            };
            for name in names.split_whitespace() {
                match props.get_mut(name) {
                    Some(Value::Array(a)) => a.push(value.clone()),
                    Some(existing) => {
                        let old = existing.take();
                        *existing = Value::Array(vec![old, value.clone()]);
                    }
                    None => {
                        props.insert(name.to_string(), value.clone());
                    }
                }
            }
            if v.attr("itemscope").is_some() {
                continue;
            }
        } else if v.attr("itemscope").is_some() {
            continue;
        }
        collect_props(child, props, depth);
    }
}

fn prop_value(el: ElementRef<'_>) -> String {
    let v = el.value();
    let attr = match v.name() {
        "meta" => v.attr("content"),
        "a" | "link" | "area" => v.attr("href"),
        "img" | "audio" | "video" | "source" | "iframe" | "embed" => v.attr("src"),
        "time" => v.attr("datetime"),
        "data" | "meter" => v.attr("value"),
        _ => v.attr("content"),
    };
    match attr {
        Some(a) => a.trim().to_string(),
        None => el
            .text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

const BUSINESS_HINTS: &[&str] = &[
    "Organization",
    "LocalBusiness",
    "Restaurant",
    "Dentist",
    "Plumber",
    "Store",
    "Physician",
    "MedicalBusiness",
    "Corporation",
    "ProfessionalService",
    "HomeAndConstructionBusiness",
    "FoodEstablishment",
    "CafeOrCoffeeShop",
    "Bakery",
    "BarOrPub",
    "HealthAndBeautyBusiness",
    "LegalService",
    "Attorney",
    "AutoRepair",
    "Electrician",
    "RoofingContractor",
    "HVACBusiness",
    "GeneralContractor",
    "Hotel",
    "LodgingBusiness",
    "RealEstateAgent",
    "Dentistry",
    "MedicalClinic",
    "BeautySalon",
    "HairSalon",
    "DaySpa",
    "ShoppingCenter",
    "SportsActivityLocation",
    "AccountingService",
    "FinancialService",
    "InsuranceAgency",
    "TravelAgency",
    "EmploymentAgency",
    "Optician",
    "Pharmacy",
    "VeterinaryCare",
    "AutomotiveBusiness",
    "NGO",
    "EducationalOrganization",
    "Locksmith",
    "MovingCompany",
    "HousePainter",
    "Winery",
    "Brewery",
    "FastFoodRestaurant",
    "IceCreamShop",
];

fn is_business(t: &str) -> bool {
    t.split(',').any(|x| {
        BUSINESS_HINTS
            .iter()
            .any(|h| x.trim() == *h || x.trim().ends_with("Business"))
    })
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => a.iter().find_map(|x| str_of(Some(x))),
        Value::Object(o) => str_of(o.get("name")).or_else(|| str_of(o.get("@id"))),
        _ => None,
    }
}

fn num_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    }
}

fn address_of(v: Option<&Value>) -> (Option<String>, Option<String>) {
    match v {
        Some(Value::String(s)) => (Some(s.trim().to_string()), None),
        Some(Value::Object(o)) => {
            let parts: Vec<String> = [
                "streetAddress",
                "postalCode",
                "addressLocality",
                "addressRegion",
            ]
            .iter()
            .filter_map(|k| str_of(o.get(*k)))
            .collect();
            let country = str_of(o.get("addressCountry"));
            let mut line = parts.join(", ");
            if let Some(c) = &country {
                if !line.is_empty() {
                    line.push_str(", ");
                }
                line.push_str(c);
            }
            (Some(line).filter(|l| !l.is_empty()), country)
        }
        Some(Value::Array(a)) => address_of(a.first()),
        _ => (None, None),
    }
}

fn hours_of(v: Option<&Value>, spec: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Array(a)) => out.extend(a.iter().filter_map(|x| x.as_str().map(String::from))),
        _ => {}
    }
    let specs: Vec<&Value> = match spec {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => vec![],
    };
    for s in specs {
        let days = match s.get("dayOfWeek") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|d| d.rsplit('/').next().unwrap_or(d).to_string())
                .collect::<Vec<_>>()
                .join(","),
            Some(Value::String(d)) => d.rsplit('/').next().unwrap_or(d).to_string(),
            _ => String::new(),
        };
        let opens = str_of(s.get("opens")).unwrap_or_default();
        let closes = str_of(s.get("closes")).unwrap_or_default();
        out.push(format!("{days} {opens}-{closes}").trim().to_string());
    }
    out.truncate(21);
    out
}

/// Summary of the first Organization/LocalBusiness-like item.
pub fn business(items: &[Item]) -> Option<Business> {
    let item = items
        .iter()
        .find(|i| {
            i.item_type
                .split(',')
                .any(|t| t.trim() != "Organization" && is_business(t))
        })
        .or_else(|| items.iter().find(|i| is_business(&i.item_type)))?;
    let p = item.properties.as_object()?;
    let (address, country) = address_of(p.get("address"));
    let rating = p.get("aggregateRating").and_then(Value::as_object);
    Some(Business {
        item_type: item.item_type.clone(),
        name: str_of(p.get("name")),
        address,
        country,
        telephone: str_of(p.get("telephone")),
        email: str_of(p.get("email")),
        opening_hours: hours_of(p.get("openingHours"), p.get("openingHoursSpecification")),
        rating: rating.and_then(|r| num_of(r.get("ratingValue"))),
        review_count: rating
            .and_then(|r| num_of(r.get("reviewCount")).or_else(|| num_of(r.get("ratingCount"))))
            .map(|n| n.max(0.0) as u64),
        price_range: str_of(p.get("priceRange")),
    })
}

/// Every `telephone` and `email` value anywhere in the items (for contact extraction).
pub fn contacts(items: &[Item]) -> (Vec<String>, Vec<String>) {
    let mut phones = Vec::new();
    let mut emails = Vec::new();
    for i in items {
        walk_contacts(&i.properties, &mut phones, &mut emails, 0);
    }
    (phones, emails)
}

fn walk_contacts(v: &Value, phones: &mut Vec<String>, emails: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, val) in o {
                match (k.as_str(), val) {
                    ("telephone", Value::String(s)) => phones.push(s.clone()),
                    ("email", Value::String(s)) => emails.push(s.clone()),
                    ("telephone" | "email", Value::Array(a)) => {
                        for x in a.iter().filter_map(Value::as_str) {
                            if k == "telephone" {
                                phones.push(x.to_string());
                            } else {
                                emails.push(x.to_string());
                            }
                        }
                    }
                    _ => walk_contacts(val, phones, emails, depth + 1),
                }
            }
        }
        Value::Array(a) => {
            for x in a {
                walk_contacts(x, phones, emails, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_and_arrays() {
        let doc = Html::parse_document(
            r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
            {"@type":"WebSite","name":"x"},{"@type":["Dentist","LocalBusiness"],"name":"Praxis Koch",
            "telephone":"+49 30 1234567","address":{"@type":"PostalAddress","streetAddress":"Hauptstr. 1",
            "postalCode":"10115","addressLocality":"Berlin","addressCountry":"DE"},
            "aggregateRating":{"ratingValue":"4.8","reviewCount":"120"},"openingHours":["Mo-Fr 08:00-18:00"]}]}</script>"#,
        );
        let (items, broken) = json_ld(&doc);
        assert_eq!(broken, 0);
        assert_eq!(items.len(), 2);
        let b = business(&items).expect("business");
        assert_eq!(b.name.as_deref(), Some("Praxis Koch"));
        assert_eq!(b.country.as_deref(), Some("DE"));
        assert_eq!(b.rating, Some(4.8));
        assert_eq!(b.review_count, Some(120));
        assert_eq!(contacts(&items).0, vec!["+49 30 1234567"]);
    }

    #[test]
    fn broken_json_tolerated() {
        let v = parse_lenient("{\"@type\":\"Restaurant\", // comment\n \"name\":\"Luna\nBar\",}")
            .expect("repaired");
        assert_eq!(v[0]["name"], "Luna Bar");
        assert!(parse_lenient("{\"@type\": ").is_none());
        assert_eq!(
            parse_lenient("{\"a\":1}{\"b\":2}").map(|v| v.len()),
            Some(2)
        );
    }

    #[test]
    fn microdata_nested() {
        let doc = Html::parse_document(
            r#"<div itemscope itemtype="https://schema.org/Restaurant"><span itemprop="name">Luna</span>
            <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
            <span itemprop="addressLocality">Roma</span></div><a itemprop="telephone" href="tel:+39061234567">call</a>
            <meta itemprop="telephone" content="+39 06 1234567"></div>"#,
        );
        let items = microdata(&doc);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].item_type, "Restaurant");
        assert_eq!(items[0].properties["address"]["addressLocality"], "Roma");
        assert_eq!(items[0].properties["name"], "Luna");
    }
}
