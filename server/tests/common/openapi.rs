//! A small validator of responses against `docs/openapi.yaml`: finds the operation by method
//! and path template, the response by status, and checks the body against the JSON schema
//! subset the document uses ($ref, type, properties, required, additionalProperties, items,
//! enum, const, pattern, min/max, minLength/maxLength, maxItems, oneOf).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

pub struct Spec {
    pub doc: Value,
    patterns: Mutex<HashMap<String, regex::Regex>>,
}

pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let doc: Value = serde_norway::from_str(sync_server::http::OPENAPI_YAML).expect("openapi.yaml parses");
        Spec { doc, patterns: Mutex::new(HashMap::new()) }
    })
}

/// Every `(METHOD, template)` the document lists.
pub fn operations() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec().doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The template matching a concrete path.
pub fn template_for(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    spec().doc["paths"]
        .as_object()?
        .keys()
        .find(|template| {
            let t: Vec<&str> = template.split('/').collect();
            t.len() == segments.len()
                && t.iter().zip(&segments).all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
        })
        .cloned()
}

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut value = value;
    while let Some(r) = value.get("$ref").and_then(Value::as_str) {
        let pointer = r.trim_start_matches('#');
        value = doc.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {r}"));
    }
    value
}

/// Checks one exchange; `Err` explains the mismatch.
pub fn check(method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
    let spec = spec();
    let template = template_for(path).ok_or_else(|| format!("{method} {path}: path not documented"))?;
    let op = &spec.doc["paths"][&template][method.to_lowercase()];
    if op.is_null() {
        return Err(format!("{method} {template}: method not documented"));
    }
    let response = op["responses"]
        .get(status.to_string())
        .ok_or_else(|| format!("{method} {template}: status {status} not documented"))?;
    let response = resolve(&spec.doc, response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        if body.is_empty() {
            return Ok(());
        }
        return Err(format!("{method} {template} {status}: documented without a body, got {} bytes", body.len()));
    };
    let media = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_owned();
    let entry = content
        .get(&media)
        .ok_or_else(|| format!("{method} {template} {status}: content type {media:?} not documented"))?;
    if media == "application/json" {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("{method} {template} {status}: body is not JSON: {e}"))?;
        validate(spec, &entry["schema"], &value, "$").map_err(|e| format!("{method} {template} {status}: {e}"))?;
    }
    Ok(())
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

pub fn validate(spec: &Spec, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(&spec.doc, schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let ok = options.iter().filter(|s| validate(spec, s, value, at).is_ok()).count();
        if ok != 1 {
            return Err(format!("{at}: {ok} oneOf alternatives match {value}"));
        }
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        return Err(format!("{at}: {value} is not {c}"));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        return Err(format!("{at}: {value} not in enum"));
    }
    if let Some(t) = schema.get("type") {
        let names: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            return Err(format!("{at}: {value} is not of type {t}"));
        }
    }
    if let Some(s) = value.as_str() {
        if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
            let mut cache = spec.patterns.lock().unwrap();
            let re = cache.entry(p.to_owned()).or_insert_with(|| regex::Regex::new(p).expect("pattern"));
            if !re.is_match(s) {
                return Err(format!("{at}: {s:?} does not match {p}"));
            }
        }
        let len = s.chars().count() as u64;
        if schema.get("maxLength").and_then(Value::as_u64).is_some_and(|m| len > m) {
            return Err(format!("{at}: string too long"));
        }
        if schema.get("minLength").and_then(Value::as_u64).is_some_and(|m| len < m) {
            return Err(format!("{at}: string too short"));
        }
    }
    if let Some(n) = value.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m) {
            return Err(format!("{at}: {n} below minimum"));
        }
        if schema.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m) {
            return Err(format!("{at}: {n} above maximum"));
        }
    }
    if let Some(items) = value.as_array() {
        if schema.get("maxItems").and_then(Value::as_u64).is_some_and(|m| items.len() as u64 > m) {
            return Err(format!("{at}: too many items"));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(spec, item_schema, item, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Some(object) = value.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Err(format!("{at}: missing required {name}"));
            }
        }
        for (key, field) in object {
            match props.and_then(|p| p.get(key)) {
                Some(s) => validate(spec, s, field, &format!("{at}.{key}"))?,
                None => {
                    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                        return Err(format!("{at}: undocumented property {key}"));
                    }
                }
            }
        }
    }
    Ok(())
}
