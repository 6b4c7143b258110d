//! JSON pointers (RFC 6901): the address every error and every `$ref` uses.

use serde_json::Value;

/// Escapes one reference token (`~` → `~0`, `/` → `~1`).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `pointer` with `token` appended.
pub fn push(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape(token))
}

/// Splits a pointer into unescaped tokens; `None` when it is not a pointer (no leading `/`).
pub fn tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// An array index token: `0`, or digits without a leading zero (RFC 6901 refuses `01`,
/// `+1` and `-0`, which `str::parse` would take).
pub fn index(token: &str) -> Option<usize> {
    let canonical = token == "0"
        || (!token.starts_with('0')
            && !token.is_empty()
            && token.bytes().all(|b| b.is_ascii_digit()));
    canonical.then(|| token.parse().ok()).flatten()
}

/// Follows `pointer` into `value`. Also accepts the percent-encoding URI fragments may carry.
pub fn get<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    let decoded = percent_decode(pointer);
    let mut current = value;
    for token in tokens(&decoded)? {
        current = match current {
            Value::Object(map) => map.get(&token)?,
            Value::Array(items) => items.get(index(&token)?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Follows `pointer` (not percent-encoded) into `value`, for changing what is there.
pub fn get_mut<'a>(value: &'a mut Value, pointer: &str) -> Option<&'a mut Value> {
    let mut current = value;
    for token in tokens(pointer)? {
        current = match current {
            Value::Object(map) => map.get_mut(&token)?,
            Value::Array(items) => items.get_mut(index(&token)?)?,
            _ => return None,
        };
    }
    Some(current)
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_round_trip() {
        let pointer = push(&push("", "paths"), "/3pid/bind");
        assert_eq!(pointer, "/paths/~13pid~1bind");
        assert_eq!(tokens(&pointer).unwrap(), vec!["paths", "/3pid/bind"]);
    }

    #[test]
    fn follows_objects_and_arrays() {
        let doc = json!({"a": [{"b~c": 1}], "sp ace": 2});
        assert_eq!(get(&doc, "/a/0/b~0c"), Some(&json!(1)));
        assert_eq!(get(&doc, "/sp%20ace"), Some(&json!(2)));
        assert_eq!(get(&doc, "/a/1"), None);
        assert_eq!(get(&doc, "no-slash"), None);
        assert_eq!(get(&doc, ""), Some(&doc));
    }

    #[test]
    fn array_indexes_are_canonical_digits() {
        let doc = json!({"a": [1, 2]});
        assert_eq!(get(&doc, "/a/1"), Some(&json!(2)));
        for bad in ["/a/01", "/a/+1", "/a/-0", "/a/", "/a/1e0"] {
            assert_eq!(get(&doc, bad), None, "{bad}");
        }
        assert_eq!(index("10"), Some(10));
        assert_eq!(index("00"), None);
    }
}
