//! The failures a generated router answers by itself, before (or instead of) calling the
//! implementation: one vocabulary, defined here once and neutral about any protocol.
//!
//! The config maps each failure to the status, error code and message it goes out with
//! (`[errors.router]`); the IR lists, per operation, the ones its router can answer; emit
//! makes an error constructor and a message constant of each; export documents them. A
//! failure added here is one variant, its three facts below, and nothing else to edit: the
//! compiler finds every `match`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A failure the router answers by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouterFailure {
    /// The operation needs a credential and the request carries none.
    MissingCredential,
    /// A credential is given in a form the scheme does not take (an `Authorization` header
    /// of another scheme, or not text).
    MalformedCredential,
    /// The same credential is given in more than one of the places it may come from.
    AmbiguousCredential,
    /// The credential is not (or no longer) valid: the implementation's `authenticate` says.
    RejectedCredential,
    /// The body could not be read from the connection.
    UnreadableBody,
    /// The operation needs a body and the request has none.
    MissingBody,
    /// The body is not in its media type (not JSON, not UTF-8 text).
    BodyNotInMediaType,
    /// The body is in its media type but does not fit the operation's schema.
    BodyMismatch,
    /// The body is larger than the router reads.
    BodyTooLarge,
    /// The body is in a media type the operation does not take.
    UnsupportedMediaType,
    /// A required parameter (or body property) is missing.
    MissingParameter,
    /// A parameter has a value the operation does not take.
    InvalidParameter,
    /// No endpoint is at the request's path.
    NotFound,
    /// The endpoint does not take the request's method.
    MethodNotAllowed,
    /// Too many requests: the client must wait.
    RateLimited,
    /// The request took longer than the server allows.
    Timeout,
    /// The server failed; not the client's fault.
    Internal,
}

impl RouterFailure {
    /// Every failure, in the order constructors and constants are emitted.
    pub const ALL: [RouterFailure; 17] = [
        RouterFailure::MissingCredential,
        RouterFailure::MalformedCredential,
        RouterFailure::AmbiguousCredential,
        RouterFailure::RejectedCredential,
        RouterFailure::UnreadableBody,
        RouterFailure::MissingBody,
        RouterFailure::BodyNotInMediaType,
        RouterFailure::BodyMismatch,
        RouterFailure::BodyTooLarge,
        RouterFailure::UnsupportedMediaType,
        RouterFailure::MissingParameter,
        RouterFailure::InvalidParameter,
        RouterFailure::NotFound,
        RouterFailure::MethodNotAllowed,
        RouterFailure::RateLimited,
        RouterFailure::Timeout,
        RouterFailure::Internal,
    ];

    /// Whether the router meets it reading a credential, where an API may answer it its own
    /// way (`[api.credential_errors]`).
    pub fn is_credential(self) -> bool {
        matches!(
            self,
            RouterFailure::MissingCredential
                | RouterFailure::MalformedCredential
                | RouterFailure::AmbiguousCredential
        )
    }

    /// The failure's name in snake case: its key in the config and its constructor's name.
    pub fn name(self) -> &'static str {
        match self {
            RouterFailure::MissingCredential => "missing_credential",
            RouterFailure::MalformedCredential => "malformed_credential",
            RouterFailure::AmbiguousCredential => "ambiguous_credential",
            RouterFailure::RejectedCredential => "rejected_credential",
            RouterFailure::UnreadableBody => "unreadable_body",
            RouterFailure::MissingBody => "missing_body",
            RouterFailure::BodyNotInMediaType => "body_not_in_media_type",
            RouterFailure::BodyMismatch => "body_mismatch",
            RouterFailure::BodyTooLarge => "body_too_large",
            RouterFailure::UnsupportedMediaType => "unsupported_media_type",
            RouterFailure::MissingParameter => "missing_parameter",
            RouterFailure::InvalidParameter => "invalid_parameter",
            RouterFailure::NotFound => "not_found",
            RouterFailure::MethodNotAllowed => "method_not_allowed",
            RouterFailure::RateLimited => "rate_limited",
            RouterFailure::Timeout => "timeout",
            RouterFailure::Internal => "internal",
        }
    }

    /// What the failure means, for the constructor's doc.
    pub fn meaning(self) -> &'static str {
        match self {
            RouterFailure::MissingCredential => {
                "The operation needs a credential and none was given."
            }
            RouterFailure::MalformedCredential => {
                "A credential was given in a form its scheme does not take."
            }
            RouterFailure::AmbiguousCredential => "A credential was given in more than one place.",
            RouterFailure::RejectedCredential => "The credential is not (or no longer) valid.",
            RouterFailure::UnreadableBody => "The request body could not be read.",
            RouterFailure::MissingBody => "The operation needs a request body and none was given.",
            RouterFailure::BodyNotInMediaType => "The body is not in its media type.",
            RouterFailure::BodyMismatch => "The body does not fit the operation's schema.",
            RouterFailure::BodyTooLarge => "The request body is too large.",
            RouterFailure::UnsupportedMediaType => {
                "The body is in a media type the operation does not take."
            }
            RouterFailure::MissingParameter => "A required parameter is missing.",
            RouterFailure::InvalidParameter => "A parameter has a value that is not allowed.",
            RouterFailure::NotFound => "No endpoint is at this path.",
            RouterFailure::MethodNotAllowed => "The endpoint does not take this method.",
            RouterFailure::RateLimited => "Too many requests: try again later.",
            RouterFailure::Timeout => "The request took too long.",
            RouterFailure::Internal => "The server failed; not the client's fault.",
        }
    }

    /// The answer when the config names none: an HTTP status, the failure's name in upper
    /// case as the code, and a plain message.
    pub fn default_answer(self) -> FailureAnswer {
        let (status, message) = match self {
            RouterFailure::MissingCredential => (401, "Missing credential"),
            RouterFailure::MalformedCredential => (401, "Malformed credential"),
            RouterFailure::AmbiguousCredential => (401, "Credential given in more than one place"),
            RouterFailure::RejectedCredential => (401, "Unrecognised credential"),
            RouterFailure::UnreadableBody => (400, "Could not read the request body"),
            RouterFailure::MissingBody => (400, "A request body is required"),
            RouterFailure::BodyNotInMediaType => (400, "Body not in its media type"),
            RouterFailure::BodyMismatch => (400, "Body does not fit"),
            RouterFailure::BodyTooLarge => (413, "Request body too large"),
            RouterFailure::UnsupportedMediaType => (415, "Unsupported media type"),
            RouterFailure::MissingParameter => (400, "Missing parameter"),
            RouterFailure::InvalidParameter => (400, "Invalid parameter"),
            RouterFailure::NotFound => (404, "Not found"),
            RouterFailure::MethodNotAllowed => (405, "Method not allowed"),
            RouterFailure::RateLimited => (429, "Too many requests"),
            RouterFailure::Timeout => (408, "Request timed out"),
            RouterFailure::Internal => (500, "Internal server error"),
        };
        FailureAnswer {
            status,
            code: self.name().to_ascii_uppercase(),
            message: message.to_owned(),
        }
    }
}

/// What a failure goes out with. The router sends `message` alone, or followed by `: ` and
/// what it knows more (the parameter's name, the parser's complaint).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FailureAnswer {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl FailureAnswer {
    /// Why the answer cannot go out, if it cannot: a status that is no error, or an empty
    /// code or message.
    pub fn problem(&self) -> Option<String> {
        if !(400..=599).contains(&self.status) {
            return Some(format!(
                "status {} is not an error status (400-599)",
                self.status
            ));
        }
        if self.code.trim().is_empty() {
            return Some("the code is empty".into());
        }
        if self.message.trim().is_empty() {
            return Some("the message is empty".into());
        }
        None
    }
}

/// Every failure's answer: the config's where it names one, the default elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureAnswers(BTreeMap<RouterFailure, FailureAnswer>);

impl Default for FailureAnswers {
    fn default() -> Self {
        FailureAnswers(
            RouterFailure::ALL
                .into_iter()
                .map(|failure| (failure, failure.default_answer()))
                .collect(),
        )
    }
}

impl FailureAnswers {
    /// The answer to `failure`.
    pub fn get(&self, failure: RouterFailure) -> &FailureAnswer {
        // Built from `ALL` and only ever overwritten, so every failure has one.
        &self.0[&failure]
    }

    /// Every failure with its answer, in `ALL`'s order.
    pub fn iter(&self) -> impl Iterator<Item = (RouterFailure, &FailureAnswer)> {
        RouterFailure::ALL
            .into_iter()
            .map(move |failure| (failure, self.get(failure)))
    }

    /// The first answer that cannot go out, with its failure's name.
    pub fn problem(&self) -> Option<String> {
        self.iter().find_map(|(failure, answer)| {
            answer
                .problem()
                .map(|problem| format!("[errors.router] {}: {problem}", failure.name()))
        })
    }
}

impl<'de> Deserialize<'de> for FailureAnswers {
    /// A table of some failures' answers; an unknown failure is an error naming it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let given = BTreeMap::<RouterFailure, FailureAnswer>::deserialize(deserializer)?;
        let mut answers = FailureAnswers::default();
        answers.0.extend(given);
        Ok(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        for failure in RouterFailure::ALL {
            let serialized = serde_json::to_value(failure).unwrap();
            assert_eq!(serialized, failure.name(), "{failure:?}");
        }
    }

    #[test]
    fn all_lists_every_failure_once_in_order() {
        let mut sorted = RouterFailure::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, RouterFailure::ALL.to_vec());
    }

    #[test]
    fn a_config_table_overrides_some_answers_and_keeps_the_defaults() {
        let answers: FailureAnswers = toml::from_str(
            r#"not_found = { status = 404, code = "UNRECOGNIZED", message = "No such endpoint" }"#,
        )
        .unwrap();
        assert_eq!(answers.get(RouterFailure::NotFound).code, "UNRECOGNIZED");
        assert_eq!(
            answers.get(RouterFailure::Timeout),
            &RouterFailure::Timeout.default_answer()
        );
        assert_eq!(answers.problem(), None);
    }

    #[test]
    fn an_unknown_failure_or_a_status_that_is_no_error_is_refused() {
        let unknown = toml::from_str::<FailureAnswers>(
            r#"missing_token = { status = 401, code = "X", message = "Y" }"#,
        )
        .unwrap_err();
        assert!(unknown.to_string().contains("missing_token"), "{unknown}");
        let answers: FailureAnswers =
            toml::from_str(r#"internal = { status = 200, code = "X", message = "Y" }"#).unwrap();
        assert_eq!(
            answers.problem().as_deref(),
            Some("[errors.router] internal: status 200 is not an error status (400-599)")
        );
    }
}
