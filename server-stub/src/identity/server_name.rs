//! Matrix server names (`host[:port]`) as identity-server clients give them, split into the
//! host and port to call (the generated `ServerName` checks the grammar; this also refuses
//! ports no server listens on). Whether an address may be called is `crate::addresses`'s.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A server name's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerName {
    /// A DNS name, or an IP address (IPv6 without its brackets).
    pub host: String,
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
}

/// Parses `hostname`, `IPv4` or `[IPv6]`, each with an optional port 1-65535 (no leading
/// zeros). Anything else (paths, `@`, `#`, spaces, empty) is not a server name.
pub fn parse(name: &str) -> Option<ServerName> {
    let (host, port) = if let Some(rest) = name.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let ip: Ipv6Addr = inside.parse().ok()?;
        let port = match after {
            "" => None,
            _ => Some(parse_port(after.strip_prefix(':')?)?),
        };
        return Some(ServerName {
            host: inside.to_owned(),
            ip: Some(IpAddr::V6(ip)),
            port,
        });
    } else {
        match name.split_once(':') {
            Some((host, port)) => (host, Some(parse_port(port)?)),
            None => (name, None),
        }
    };
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Some(ServerName {
            host: host.to_owned(),
            ip: Some(IpAddr::V4(ip)),
            port,
        });
    }
    let valid_hostname = !host.is_empty()
        && host.len() <= 255
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        // A name of digits and dots that did not parse as IPv4 (`1.2.3`) is neither.
        && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    valid_hostname.then(|| ServerName {
        host: host.to_owned(),
        ip: None,
        port,
    })
}

fn parse_port(port: &str) -> Option<u16> {
    if port.is_empty() || port.starts_with('0') || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse::<u16>().ok().filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::USER_ID_BYTES;

    /// The generated `UserId` keeps the rule `specs/codegen.toml` gives `mx-user-id`: the
    /// grammar of the spec's appendix and its length limit.
    #[test]
    fn user_ids_follow_the_grammar_and_the_length_limit() {
        let is_user_id = |text: &str| matrix_api::types::UserId::parse(text).is_ok();
        assert!(is_user_id("@alice:example.org"));
        assert!(is_user_id("@Historical+ID:[::1]:8448"));
        let longest = format!("@{}:x.org", "a".repeat(USER_ID_BYTES - 7));
        assert!(is_user_id(&longest));
        for bad in [
            "alice:example.org",
            "@:example.org",
            "@alice:",
            "@al ice:example.org",
            "@alice:exa\r\nmple.org",
            "@al\u{0}ice:example.org",
            "@élise:example.org",
        ] {
            assert!(!is_user_id(bad), "{bad:?}");
        }
        assert!(!is_user_id(&format!("{longest}x")));
    }

    #[test]
    fn server_names_are_hosts_with_optional_ports() {
        let ok = parse("example.com:8448").unwrap();
        assert_eq!((ok.host.as_str(), ok.port), ("example.com", Some(8448)));
        assert_eq!(
            parse("1.2.3.4").unwrap().ip,
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(parse("[::1]:8448").unwrap().host, "::1");
        for bad in [
            "",
            "example.com#",
            "host/x?",
            "evil.com@good.com",
            "localhost:08448",
            "localhost:70000",
            "localhost:0",
            "localhost:",
            "[::1",
            "[zz]",
            "a b",
            "1.2.3",
            "exa_mple.com",
            "-bad.com.",
            ".com",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
