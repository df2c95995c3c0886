//! A small JSON Schema validator for the subset our prompts use: `type` (one name or a list),
//! `properties`, `required`, `additionalProperties: false`, `items`, `enum`, `minItems`,
//! `maxItems`, `minLength`, `maxLength`. The `jsonschema` crate would pull in regex engines,
//! an HTTP resolver and TLS for features we never use; models only honour this subset anyway.

use serde_json::Value;

/// Checks `value` against `schema`; the error names the first offending path
/// (`$.pain_points[2]: expected string, got number`) so it can be fed back to the model.
pub fn validate(schema: &Value, value: &Value) -> Result<(), String> {
    check(schema, value, "$")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(expected: &str, v: &Value) -> bool {
    let actual = type_name(v);
    actual == expected || (expected == "number" && actual == "integer")
}

fn as_len(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

fn check(schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    let Some(schema) = schema.as_object() else {
        // `true` / `{}`-like schemas accept anything.
        return Ok(());
    };

    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !allowed.is_empty() && !allowed.iter().any(|a| type_matches(a, value)) {
            return Err(format!(
                "{path}: expected {}, got {}",
                allowed.join(" or "),
                type_name(value)
            ));
        }
    }

    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        return Err(format!(
            "{path}: value {value} is not one of {}",
            Value::Array(options.clone())
        ));
    }

    match value {
        Value::Object(map) => {
            if let Some(Value::Array(required)) = schema.get("required") {
                for key in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(key) {
                        return Err(format!("{path}: missing required property \"{key}\""));
                    }
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (key, item) in map {
                let child = format!("{path}.{key}");
                match props.and_then(|p| p.get(key)) {
                    Some(sub) => check(sub, item, &child)?,
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return Err(format!("{path}: unexpected property \"{key}\""));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(min) = as_len(schema.get("minItems"))
                && items.len() < min
            {
                return Err(format!(
                    "{path}: expected at least {min} items, got {}",
                    items.len()
                ));
            }
            if let Some(max) = as_len(schema.get("maxItems"))
                && items.len() > max
            {
                return Err(format!(
                    "{path}: expected at most {max} items, got {}",
                    items.len()
                ));
            }
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(sub, item, &format!("{path}[{i}]"))?;
                }
            }
        }
        Value::String(s) => {
            let len = s.chars().count();
            if let Some(min) = as_len(schema.get("minLength"))
                && len < min
            {
                return Err(format!("{path}: string shorter than {min} characters"));
            }
            if let Some(max) = as_len(schema.get("maxLength"))
                && len > max
            {
                return Err(format!("{path}: string longer than {max} characters"));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "summary": {"type": "string", "minLength": 1},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "email": {"type": ["string", "null"]},
                "kind": {"type": "string", "enum": ["a", "b"]}
            },
            "required": ["summary", "tags"],
            "additionalProperties": false
        })
    }

    #[test]
    fn accepts_valid() {
        let v = json!({"summary": "x", "tags": ["a"], "email": null, "kind": "a"});
        assert_eq!(validate(&schema(), &v), Ok(()));
    }

    #[test]
    fn reports_first_problem_with_path() {
        let cases = [
            (
                json!({"tags": []}),
                "$: missing required property \"summary\"",
            ),
            (
                json!({"summary": "x", "tags": [1]}),
                "$.tags[0]: expected string, got integer",
            ),
            (
                json!({"summary": "x", "tags": [], "z": 1}),
                "$: unexpected property \"z\"",
            ),
            (
                json!({"summary": "", "tags": []}),
                "$.summary: string shorter than 1 characters",
            ),
            (
                json!({"summary": "x", "tags": ["a", "b", "c"]}),
                "$.tags: expected at most 2 items, got 3",
            ),
            (
                json!({"summary": "x", "tags": [], "kind": "c"}),
                "$.kind: value \"c\" is not one of [\"a\",\"b\"]",
            ),
            (json!([1]), "$: expected object, got array"),
        ];
        for (value, expected) in cases {
            assert_eq!(validate(&schema(), &value), Err(expected.to_owned()));
        }
    }
}
