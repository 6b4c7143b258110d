//! Matrix server names (`host[:port]`) as identity-server clients give them, the user IDs
//! made of them, and whether an address may be called: a server name must not steer the
//! identity server into the operator's private network.

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
/// The longest user ID, in bytes (the spec's limit).
pub const MAX_USER_ID_BYTES: usize = 255;

/// Whether `text` is a Matrix user ID: `@localpart:server_name`, at most 255 bytes, the
/// localpart printable ASCII without `:` (historical IDs included), the server name valid.
pub fn is_user_id(text: &str) -> bool {
    let Some((localpart, server)) = text
        .strip_prefix('@')
        .filter(|_| text.len() <= MAX_USER_ID_BYTES)
        .and_then(|rest| rest.split_once(':'))
    else {
        return false;
    };
    !localpart.is_empty()
        && localpart.bytes().all(|b| (0x21..=0x7e).contains(&b))
        && parse(server).is_some()
}

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

/// Whether calling `ip` could reach something that is not the public internet: private,
/// loopback, link-local, unspecified, multicast, shared and reserved ranges, and IPv6
/// addresses that embed such an IPv4 address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                // IPv4-compatible (deprecated) addresses, `::a.b.c.d`.
                || v6.segments()[..6].iter().all(|s| *s == 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_follow_the_grammar_and_the_length_limit() {
        assert!(is_user_id("@alice:example.org"));
        assert!(is_user_id("@Historical+ID:[::1]:8448"));
        let longest = format!("@{}:x.org", "a".repeat(MAX_USER_ID_BYTES - 7));
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

    #[test]
    fn internal_addresses_are_recognised() {
        for internal in [
            "10.0.0.1",
            "127.0.0.1",
            "169.254.1.1",
            "192.168.0.1",
            "172.16.0.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.1.1",
            "fe80::1",
            "fd00::1",
            "::",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
