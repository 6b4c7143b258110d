//! Third-party identifiers and the secrets of their validation sessions: the checks both
//! servers make.

use crate::limits::{CLIENT_SECRET_BYTES, EMAIL_BYTES, ID_SERVER_BYTES};

/// `client_secret` must match `^[0-9a-zA-Z.=_-]{1,255}$`, the whole string (a trailing
/// newline is not allowed).
pub fn valid_client_secret(secret: &str) -> bool {
    (1..=CLIENT_SECRET_BYTES).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'=' | b'_' | b'-'))
}

/// An identity server as clients name it: `host` or `host:port`, nothing more (no scheme,
/// path, query or fragment).
pub fn valid_id_server(id_server: &str) -> bool {
    if id_server.len() > ID_SERVER_BYTES {
        return false;
    }
    let (host, port) = match id_server.rsplit_once(':') {
        Some((host, port)) if !host.contains(']') || host.ends_with(']') => (host, Some(port)),
        _ => (id_server, None),
    };
    let host_ok = !host.is_empty()
        && (host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
            || (host.starts_with('[')
                && host.ends_with(']')
                && host[1..host.len() - 1]
                    .parse::<std::net::Ipv6Addr>()
                    .is_ok()));
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0) && !p.starts_with('0'));
    host_ok && port_ok
}

/// An email address, strictly: one `@`, a dot-atom local part and a host name. Returned
/// casefolded, as associations store it.
pub fn parse_email(address: &str) -> Option<String> {
    if address.len() > EMAIL_BYTES {
        return None;
    }
    let (local, domain) = address.split_once('@')?;
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext));
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    (local_ok && domain_ok).then(|| casefold("email", address))
}

/// The form a 3pid address is stored and compared in: emails are case-insensitive.
pub fn casefold(medium: &str, address: &str) -> String {
    if medium == "email" {
        address.to_lowercase()
    } else {
        address.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_secrets_match_the_whole_pattern() {
        assert!(valid_client_secret("monkeys_are_GREAT.=-9"));
        assert!(valid_client_secret(&"a".repeat(255)));
        for bad in ["", "a/b", "secret\n", "sp ace", "é"] {
            assert!(!valid_client_secret(bad), "{bad:?}");
        }
        assert!(!valid_client_secret(&"a".repeat(256)));
    }

    #[test]
    fn id_servers_are_a_host_and_port_only() {
        for good in [
            "matrix.org",
            "localhost:8090",
            "127.0.0.1:8090",
            "[::1]:8090",
            "id-server.example",
        ] {
            assert!(valid_id_server(good), "{good:?}");
        }
        for bad in [
            "",
            "matrix.org/path",
            "matrix.org?x",
            "matrix.org#x",
            "https://matrix.org",
            "host:0",
            "host:70000",
            "host:",
            "a b",
            "user@host",
            &format!("{}.org", "a".repeat(ID_SERVER_BYTES)),
        ] {
            assert!(!valid_id_server(bad), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_parsed_strictly_and_casefolded() {
        assert_eq!(
            parse_email("Louise@Bobs.Burgers").as_deref(),
            Some("louise@bobs.burgers")
        );
        assert!(parse_email("first.last+tag@sub.example.org").is_some());
        for bad in [
            "a@b@c",
            "plain",
            "@example.org",
            "a@",
            "a..b@example.org",
            ".a@example.org",
            "a@-example.org",
            "a@exa_mple.org",
            "a b@example.org",
        ] {
            assert_eq!(parse_email(bad), None, "{bad:?}");
        }
        let long = format!("{}@{}.org", "a".repeat(64), "b".repeat(431));
        assert_eq!(long.len(), 500);
        assert!(parse_email(&long).is_none(), "labels over 63 characters");
        let local = "a".repeat(64);
        let label = "b".repeat(63);
        let domain = [label.as_str(); 7].join(".");
        let at_limit = format!("{local}@{domain}");
        assert!(at_limit.len() > 500);
        assert_eq!(parse_email(&at_limit), None);
    }
}
