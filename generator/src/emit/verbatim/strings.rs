//! Strings with a meaning of their own: [`Secret`], a password or token that `Debug` does
//! not print, and [`InvalidFormat`], why a value is not of a string format the crate gives a
//! type of its own (the newtypes in `types`, each with its `FORMAT`).
//!
//! This file is the same in every generated crate: the generator copies it verbatim.

use std::fmt;

/// A password, token or other secret. It serializes, deserializes, compares and reads (as a
/// `str`, through `Deref`) as the string it holds, but its `Debug` prints `[redacted]`:
/// logging a request or a body never writes the secret out.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

impl Secret {
    /// `value`, kept secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret, as the string it is.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl std::ops::Deref for Secret {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Secret {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Secret {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Secret {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Why a value is not of a string format: it is too long, or does not match the format's
/// pattern. The value itself is not repeated (it may be long, or not meant for logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidFormat {
    format: &'static str,
    broken: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    MaxBytes(usize),
    Pattern(&'static str),
}

impl InvalidFormat {
    /// The format the value is not of (`mx-user-id`).
    pub fn format(&self) -> &'static str {
        self.format
    }
}

impl fmt::Display for InvalidFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.broken {
            Rule::MaxBytes(max) => {
                write!(f, "not a valid `{}`: longer than {max} bytes", self.format)
            }
            Rule::Pattern(pattern) => {
                write!(
                    f,
                    "not a valid `{}`: does not match `{pattern}`",
                    self.format
                )
            }
        }
    }
}

impl std::error::Error for InvalidFormat {}

/// A format's pattern: its text, and the generated function that matches it.
#[doc(hidden)]
pub type Pattern = (&'static str, fn(&str) -> bool);

/// Checks `value` against a format's rule: at most `max_bytes`, then matching the pattern.
/// The newtypes' `parse` calls it.
#[doc(hidden)]
pub fn check(
    value: &str,
    format: &'static str,
    max_bytes: Option<usize>,
    pattern: Option<Pattern>,
) -> Result<(), InvalidFormat> {
    let broken = if max_bytes.is_some_and(|max| value.len() > max) {
        max_bytes.map(Rule::MaxBytes)
    } else {
        pattern
            .filter(|(_, matches)| !matches(value))
            .map(|(text, _)| Rule::Pattern(text))
    };
    match broken {
        Some(broken) => Err(InvalidFormat { format, broken }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_reads_and_serializes_as_itself_but_debug_hides_it() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"hunter2\"");
        let read: Secret = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(read, "hunter2");
    }

    #[test]
    fn a_check_names_the_format_and_the_rule_broken_first() {
        let short = |value: &str| value.len() < 3;
        let error = check("abcd", "x-short", Some(3), Some(("^.{0,2}$", short))).unwrap_err();
        assert_eq!(
            error.to_string(),
            "not a valid `x-short`: longer than 3 bytes"
        );
        let error = check("abc", "x-short", Some(3), Some(("^.{0,2}$", short))).unwrap_err();
        assert_eq!(error.format(), "x-short");
        assert!(error.to_string().contains("does not match `^.{0,2}$`"));
        assert!(check("ab", "x-short", Some(3), Some(("^.{0,2}$", short))).is_ok());
    }
}
