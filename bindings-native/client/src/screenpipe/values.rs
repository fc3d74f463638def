//! Conversions between SQLite values and the records' fields: lenient reads (screenpipe's
//! columns hold what its versions wrote) and the values the unpacker writes.

use rusqlite::types::ValueRef;

pub(crate) use rusqlite::types::Value;

/// A boolean column, whatever its storage class (`1`, `1.0`, `'true'`).
pub(super) fn opt_bool(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<bool>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(v) => Some(v != 0),
        ValueRef::Real(v) => Some(v != 0.0),
        ValueRef::Text(t) => {
            let t = String::from_utf8_lossy(t).to_ascii_lowercase();
            Some(t == "1" || t == "true")
        }
        ValueRef::Blob(_) => None,
    })
}

/// A column as text, whatever its storage class (timestamps are TEXT in screenpipe, but a
/// DATETIME default may store something else).
pub(super) fn opt_text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(v) => Some(v.to_string()),
        ValueRef::Real(v) => Some(v.to_string()),
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => None,
    })
}

/// A column as JSON (a UI event's `extra` field); blobs are left out as `null`.
pub(super) fn sql_value_to_json(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => serde_json::Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or_default(),
        ValueRef::Text(t) => serde_json::Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => serde_json::Value::Null,
    }
}

/// An optional text field.
pub(crate) fn text(v: &Option<String>) -> Value {
    v.clone().map(Value::Text).unwrap_or(Value::Null)
}

/// An optional integer field.
pub(crate) fn int(v: Option<i64>) -> Value {
    v.map(Value::Integer).unwrap_or(Value::Null)
}

/// An optional real field (non-finite values are `NULL`).
pub(crate) fn real(v: Option<f64>) -> Value {
    v.filter(|f| f.is_finite()).map(Value::Real).unwrap_or(Value::Null)
}

/// An optional boolean field, as SQLite stores them (0 or 1).
pub(crate) fn boolean(v: Option<bool>) -> Value {
    v.map(|b| Value::Integer(i64::from(b))).unwrap_or(Value::Null)
}

/// An element record's columns in screenpipe 0.4.50's `elements` (without `id`), in `frame_id`
/// and under `parent_id` (local row ids): what the pull inserts and what the restore of a
/// dropped element writes back.
pub(crate) fn element_columns(
    e: &sync_core::records::ElementRecord,
    frame_id: i64,
    parent_id: Option<i64>,
) -> Vec<(String, Value)> {
    let bound = |i: usize| real(e.bounds.map(|b| b[i]));
    vec![
        ("frame_id".into(), Value::Integer(frame_id)),
        ("source".into(), Value::Text(e.source.clone())),
        ("role".into(), Value::Text(e.role.clone())),
        ("text".into(), text(&e.text)),
        ("parent_id".into(), int(parent_id)),
        ("depth".into(), Value::Integer(e.depth)),
        ("left_bound".into(), bound(0)),
        ("top_bound".into(), bound(1)),
        ("width_bound".into(), bound(2)),
        ("height_bound".into(), bound(3)),
        ("confidence".into(), real(e.confidence)),
        ("sort_order".into(), Value::Integer(e.sort_order)),
        ("properties".into(), text(&e.properties)),
        ("on_screen".into(), boolean(e.on_screen)),
    ]
}

/// A JSON value of a UI event's `extra` (objects and arrays as their JSON text).
pub(crate) fn json_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => {
            n.as_i64().map(Value::Integer).or_else(|| n.as_f64().map(Value::Real)).unwrap_or(Value::Null)
        }
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

/// A timestamp as screenpipe 0.4 must find it: `YYYY-MM-DD HH:MM:SS[.f]` (UTC, as older
/// screenpipe and SQLite defaults store it) becomes `YYYY-MM-DDTHH:MM:SS[.f]+00:00` (0.4
/// compares timestamps as strings with RFC 3339 bounds; the other form breaks its time filters
/// and its snapshot compactor); any other text is kept as it is.
pub(crate) fn rfc3339_text(ts: &str) -> String {
    let b = ts.as_bytes();
    let sql_form = b.len() >= 19
        && b[10] == b' '
        && b[4] == b'-'
        && b[7] == b'-'
        && b[13] == b':'
        && b[16] == b':'
        && b[..19].iter().enumerate().all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16) || c.is_ascii_digit())
        && (b.len() == 19 || (b[19] == b'.' && b.len() > 20 && b[20..].iter().all(u8::is_ascii_digit)));
    if sql_form { format!("{}T{}+00:00", &ts[..10], &ts[11..]) } else { ts.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_timestamps_become_rfc3339() {
        assert_eq!(rfc3339_text("2026-01-05 09:00:00"), "2026-01-05T09:00:00+00:00");
        assert_eq!(rfc3339_text("2026-01-05 09:00:00.25"), "2026-01-05T09:00:00.25+00:00");
        for kept in ["2026-01-05T09:00:00+00:00", "2026-01-05T09:00:00.123Z", "2026-01-05 09:00:00Z", "x", ""] {
            assert_eq!(rfc3339_text(kept), kept);
        }
        // The result parses to the same instant.
        let a = sync_core::records::parse_timestamp("2026-01-05 09:00:00.25").unwrap();
        assert_eq!(sync_core::records::parse_timestamp(&rfc3339_text("2026-01-05 09:00:00.25")).unwrap(), a);
    }
}
