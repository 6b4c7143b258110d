//! What each operation is, as data: its method, paths, authentication, whether it is
//! rate-limited and deprecated. Every API module has one [`Metadata`] constant per
//! operation, a list of them all (`OPERATIONS`) and a lookup by request (`operation`), so
//! middleware (rate limits, metrics, access logs) can decide per operation without
//! matching paths by hand.
//!
//! This file is the same in every generated crate: the generator copies it verbatim.

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// Anyone.
    None,
    /// A credential of one of these security schemes is needed.
    Required(&'static [&'static str]),
    /// A credential of one of these security schemes is used when given.
    Optional(&'static [&'static str]),
}

/// One operation of an API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The trait method that serves it.
    pub name: &'static str,
    /// The spec's `operationId`, when it has one.
    pub operation_id: Option<&'static str>,
    /// The HTTP method.
    pub method: ::http::Method,
    /// The path as the spec writes it, relative to the base path.
    pub path: &'static str,
    /// Every full path it is mounted at, one per base path (`{name}` is a parameter).
    pub paths: &'static [&'static str],
    /// Whether a caller must, may or need not present a credential, and of which schemes.
    pub authentication: Authentication,
    /// Whether the spec documents a `429` for it.
    pub rate_limited: bool,
    /// Whether the spec marks it deprecated.
    pub deprecated: bool,
}

impl Metadata {
    /// Whether `path` (a request's, percent-encoded) is one of this operation's paths: a
    /// `{parameter}` segment matches any one non-empty segment.
    pub fn matches_path(&self, path: &str) -> bool {
        self.specificity(path).is_some()
    }

    /// How literally `path` matches this operation's paths, if it does: one entry per
    /// segment, `true` where the template has that segment as literal text. Of two
    /// operations that match, the router serves the one literal first
    /// (`/pubkey/isvalid` over `/pubkey/{keyId}`), which is the greater of the two.
    fn specificity(&self, path: &str) -> Option<Vec<bool>> {
        self.paths
            .iter()
            .filter_map(|template| {
                let mut actual = path.split('/');
                let mut expected = template.split('/');
                let mut literal = Vec::new();
                loop {
                    match (expected.next(), actual.next()) {
                        (None, None) => return Some(literal),
                        (Some(want), Some(got)) => {
                            let parameter = want.starts_with('{') && want.ends_with('}');
                            if (parameter && got.is_empty()) || (!parameter && want != got) {
                                return None;
                            }
                            literal.push(!parameter);
                        }
                        _ => return None,
                    }
                }
            })
            .max()
    }
}

/// The operation of `operations` that serves `method` on `path`: where several match, the
/// one the router picks, whose path is literal where the others' have a parameter.
pub fn find<'a>(
    operations: &'a [Metadata],
    method: &::http::Method,
    path: &str,
) -> Option<&'a Metadata> {
    operations
        .iter()
        .filter(|operation| operation.method == method)
        .filter_map(|operation| Some((operation.specificity(path)?, operation)))
        .max_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, operation)| operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPERATION: Metadata = Metadata {
        name: "get_user",
        operation_id: Some("getUser"),
        method: ::http::Method::GET,
        path: "/users/{id}",
        paths: &["/api/r0/users/{id}", "/api/v3/users/{id}"],
        authentication: Authentication::None,
        rate_limited: false,
        deprecated: false,
    };

    #[test]
    fn parameters_match_one_segment() {
        assert!(OPERATION.matches_path("/api/v3/users/%40alice"));
        assert!(OPERATION.matches_path("/api/r0/users/bob"));
        assert!(!OPERATION.matches_path("/api/v3/users/"));
        assert!(!OPERATION.matches_path("/api/v3/users/a/b"));
        assert!(!OPERATION.matches_path("/api/v4/users/a"));
    }

    #[test]
    fn operations_are_found_by_method_and_path() {
        let operations = [OPERATION];
        assert!(find(&operations, &::http::Method::GET, "/api/v3/users/a").is_some());
        assert!(find(&operations, &::http::Method::POST, "/api/v3/users/a").is_none());
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter_as_in_the_router() {
        const ME: Metadata = Metadata {
            name: "get_me",
            path: "/users/me",
            paths: &["/api/v3/users/me"],
            ..OPERATION
        };
        // Listed after the parameter's operation, as specs often list them.
        let operations = [OPERATION, ME];
        let found = |path| find(&operations, &::http::Method::GET, path).map(|op| op.name);
        assert_eq!(found("/api/v3/users/me"), Some("get_me"));
        assert_eq!(found("/api/v3/users/alice"), Some("get_user"));
    }
}
