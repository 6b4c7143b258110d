//! Which user ids the homeserver hands out.

use crate::errors::bad_request;
use crate::limits::USER_ID_BYTES;
use matrix_api::types::{MatrixError, MatrixErrorCode};

fn invalid(message: &str) -> MatrixError {
    bad_request(MatrixErrorCode::InvalidUsername, message)
}

/// The localpart a requested username becomes: lowercased, then checked. Letters `a-z`,
/// digits and `. _ = - /` only; not empty, not starting with `_`, not all digits (numeric
/// localparts are the server's own), and the whole user id at most 255 bytes.
pub fn localpart(requested: &str, server_name: &str) -> Result<String, MatrixError> {
    let localpart = requested.to_lowercase();
    if localpart.is_empty() {
        return Err(invalid("User ID cannot be empty"));
    }
    if !localpart
        .chars()
        .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '=' | '-' | '/'))
    {
        return Err(invalid(
            "User ID can only contain characters a-z, 0-9, or '=_-./'",
        ));
    }
    if localpart.starts_with('_') {
        return Err(invalid("User ID may not begin with _"));
    }
    if localpart.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("Numeric user IDs are reserved for guest users"));
    }
    if user_id(&localpart, server_name).len() > USER_ID_BYTES {
        return Err(invalid(&format!(
            "User ID may not be longer than {USER_ID_BYTES} bytes"
        )));
    }
    Ok(localpart)
}

pub fn user_id(localpart: &str, server_name: &str) -> String {
    format!("@{localpart}:{server_name}")
}

/// The user id a login names: a full id (`@alice:server`) or a localpart. Lowercased, as
/// registration lowercases; `None` for ids of other servers.
pub fn login_user_id(given: &str, server_name: &str) -> Option<String> {
    match given.strip_prefix('@') {
        Some(rest) => {
            let (localpart, server) = rest.split_once(':')?;
            (server == server_name).then(|| user_id(&localpart.to_lowercase(), server_name))
        }
        None => Some(user_id(&given.to_lowercase(), server_name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(localpart("Alice", "example.org").unwrap(), "alice");
        assert_eq!(
            localpart("a.b_c=d-e/f9", "example.org").unwrap(),
            "a.b_c=d-e/f9"
        );
        for bad in ["", "_alice", "12345", "al ice", "alicé", "al:ice", "al@ice"] {
            let error = localpart(bad, "example.org").unwrap_err();
            assert_eq!(
                error.body.errcode,
                MatrixErrorCode::InvalidUsername,
                "{bad:?}"
            );
        }
        let longest = "a".repeat(255 - "@:example.org".len());
        assert!(localpart(&longest, "example.org").is_ok());
        assert!(localpart(&format!("{longest}a"), "example.org").is_err());
    }

    #[test]
    fn logins_name_users_by_id_or_localpart() {
        assert_eq!(login_user_id("Alice", "hs").as_deref(), Some("@alice:hs"));
        assert_eq!(
            login_user_id("@alice:hs", "hs").as_deref(),
            Some("@alice:hs")
        );
        assert_eq!(login_user_id("@alice:other", "hs"), None);
    }
}
