//! Turning spec names (`getValidated3pid`, `3PID`, `m.login.password`) into identifiers.

use crate::ir::Status;

/// Splits on separators and case changes: `getHTTPServer_v2` → get, HTTP, Server, v2.
fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(&prev) = current.chars().last().as_ref() {
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_ascii_digit() && c.is_uppercase())
                || (prev.is_uppercase() && c.is_uppercase() && next_is_lower);
            if boundary {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

const DIGIT_WORDS: [&str; 10] = [
    "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
];

/// `3PID` → `ThreePid`, `third party identifier` → `ThirdPartyIdentifier`.
pub fn pascal_case(s: &str) -> String {
    let mut out = String::new();
    for word in words(s) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(&chars.as_str().to_lowercase());
        }
    }
    // An identifier cannot start with a digit: spell the leading digit out.
    if let Some(first) = out.chars().next().filter(char::is_ascii_digit) {
        let rest = &out[1..];
        let mut rest_chars = rest.chars();
        let capitalised: String = rest_chars
            .next()
            .map(|c| c.to_uppercase().chain(rest_chars).collect())
            .unwrap_or_default();
        out = format!(
            "{}{capitalised}",
            DIGIT_WORDS[first as usize - '0' as usize]
        );
    }
    if out.is_empty() {
        out.push_str("Empty");
    }
    out
}

/// `getValidated3pid` → `get_validated3pid`; keywords get a trailing `_` (`type_`).
pub fn snake_case(s: &str) -> String {
    let mut out = words(s)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if out.is_empty() {
        out.push_str("empty");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// Rust keywords, strict and reserved, that cannot be identifiers.
pub fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
    )
}

/// The name of a response status: `Ok`, `BadRequest`, `ClientError` (4XX), `Default`.
pub fn status_name(status: Status) -> String {
    match status {
        Status::Code(code) => match crate::http::reason_phrase(code) {
            Some(phrase) => pascal_case(phrase),
            None => format!("Status{code}"),
        },
        Status::Range(class) => match class {
            1 => "Informational".into(),
            2 => "Success".into(),
            3 => "Redirection".into(),
            4 => "ClientError".into(),
            5 => "ServerError".into(),
            other => format!("Status{other}xx"),
        },
        Status::Default => "Default".into(),
    }
}

/// Variant names for enum values: a separator-ended prefix common to every value is
/// dropped (`m.login.password`, `m.login.token` → `Password`, `Token`) unless that would
/// make two names equal or one empty.
pub fn variant_names(values: &[String]) -> Vec<String> {
    let prefix = common_prefix(values);
    let stripped: Vec<String> = values.iter().map(|v| pascal_case(&v[prefix..])).collect();
    let unique = |names: &[String]| {
        let mut sorted = names.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted.len() == names.len()
    };
    if prefix > 0 && unique(&stripped) {
        return stripped;
    }
    let full: Vec<String> = values.iter().map(|v| pascal_case(v)).collect();
    if unique(&full) {
        return full;
    }
    // Values that differ only in case or punctuation: keep them apart by position in the
    // list, which is fixed by the spec.
    full.iter()
        .enumerate()
        .map(|(i, name)| {
            let earlier = full[..i].iter().filter(|n| *n == name).count();
            if earlier == 0 {
                name.clone()
            } else {
                format!("{name}Variant{}", earlier + 1)
            }
        })
        .collect()
}

fn common_prefix(values: &[String]) -> usize {
    if values.len() < 2 {
        return 0;
    }
    let first = &values[0];
    let mut len = first.len();
    for value in &values[1..] {
        len = len.min(
            first
                .char_indices()
                .zip(value.chars())
                .take_while(|((_, a), b)| a == b)
                .map(|((i, a), _)| i + a.len_utf8())
                .last()
                .unwrap_or(0),
        );
    }
    // Only cut after a separator, so `user`/`users` do not become ``/`S`.
    first[..len]
        .rfind(['.', '_', '-', '/', ':'])
        .map_or(0, |i| i + 1)
        .min(values.iter().map(String::len).min().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_handles_titles_acronyms_and_digits() {
        assert_eq!(
            pascal_case("Third party identifier"),
            "ThirdPartyIdentifier"
        );
        assert_eq!(pascal_case("ThreePidCredentials"), "ThreePidCredentials");
        assert_eq!(pascal_case("3PID"), "ThreePid");
        assert_eq!(pascal_case("server-signatures"), "ServerSignatures");
        assert_eq!(pascal_case("getHTTPServer"), "GetHttpServer");
        assert_eq!(pascal_case(""), "Empty");
    }

    #[test]
    fn snake_case_handles_camel_case_and_keywords() {
        assert_eq!(snake_case("getValidated3pid"), "get_validated3pid");
        assert_eq!(snake_case("registerAccount"), "register_account");
        assert_eq!(snake_case("type"), "type_");
        assert_eq!(snake_case("3pid"), "_3pid");
        assert_eq!(snake_case("ed25519:0"), "ed25519_0");
    }

    #[test]
    fn statuses_are_named_by_reason() {
        assert_eq!(status_name(Status::Code(200)), "Ok");
        assert_eq!(status_name(Status::Code(429)), "TooManyRequests");
        assert_eq!(status_name(Status::Code(501)), "NotImplemented");
        assert_eq!(status_name(Status::Range(4)), "ClientError");
        assert_eq!(status_name(Status::Code(299)), "Status299");
    }

    #[test]
    fn enum_variants_drop_shared_prefixes_only_when_safe() {
        let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            variant_names(&values(&["m.login.password", "m.login.token"])),
            ["Password", "Token"]
        );
        assert_eq!(
            variant_names(&values(&["user", "users"])),
            ["User", "Users"]
        );
        assert_eq!(
            variant_names(&values(&["a-b", "a_b"])),
            ["AB", "ABVariant2"]
        );
        assert_eq!(variant_names(&values(&["email"])), ["Email"]);
    }
}
