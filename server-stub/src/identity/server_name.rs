//! Matrix server names (`host[:port]`) as identity-server clients give them, split into the
//! host and port to call (the generated `ServerName` checks the grammar; this also refuses
//! ports no server listens on), and where a homeserver of that name is reached (the
//! server-server API's "Resolving server names", without SRV records). Whether an address
//! may be called is `crate::addresses`'s.

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

/// The default port of the federation API.
pub const FEDERATION_PORT: u16 = 8448;

impl ServerName {
    /// `host:port` for a URL: an IPv6 address in brackets.
    fn authority(&self, port: u16) -> String {
        match self.ip {
            Some(IpAddr::V6(ip)) => format!("[{ip}]:{port}"),
            _ => format!("{}:{port}", self.host),
        }
    }

    /// Whether `.well-known/matrix/server` is asked before the homeserver is called: only
    /// for a host name without a port (an IP literal or an explicit port is where it is).
    pub fn needs_discovery(&self) -> bool {
        self.ip.is_none() && self.port.is_none()
    }
}

/// Where the homeserver of `name` answers, as a base URL: an IP literal or an explicit
/// port as given (8448 by default); a bare host name delegated by its
/// `.well-known/matrix/server` (`m.server`, what `delegated` holds, fetched by the caller)
/// to that server, on its port or 8448; else the name itself on 8448. A delegation that is
/// not a valid server name is ignored, as the spec says.
pub fn federation_base(name: &ServerName, delegated: Option<&str>) -> String {
    if let Some(port) = name.port {
        return format!("https://{}", name.authority(port));
    }
    if let Some(target) = delegated.and_then(parse) {
        return format!(
            "https://{}",
            target.authority(target.port.unwrap_or(FEDERATION_PORT))
        );
    }
    format!("https://{}", name.authority(FEDERATION_PORT))
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

    #[test]
    fn homeservers_are_found_as_the_server_server_api_resolves_names() {
        let base =
            |name: &str, delegated: Option<&str>| federation_base(&parse(name).unwrap(), delegated);
        // An IP literal or an explicit port: no discovery, the port or 8448.
        assert!(!parse("192.0.2.1").unwrap().needs_discovery());
        assert!(!parse("example.org:8449").unwrap().needs_discovery());
        assert!(parse("example.org").unwrap().needs_discovery());
        assert_eq!(base("192.0.2.1", None), "https://192.0.2.1:8448");
        assert_eq!(base("[2001:db8::1]:443", None), "https://[2001:db8::1]:443");
        assert_eq!(
            base("example.org:8449", Some("ignored.org")),
            "https://example.org:8449"
        );
        // A bare name: its delegation, on the delegation's port or 8448.
        assert_eq!(
            base("example.org", Some("matrix.example.net:443")),
            "https://matrix.example.net:443"
        );
        assert_eq!(
            base("example.org", Some("matrix.example.net")),
            "https://matrix.example.net:8448"
        );
        // No delegation, or one that is no server name: the name itself.
        assert_eq!(base("example.org", None), "https://example.org:8448");
        assert_eq!(
            base("example.org", Some("https://x/")),
            "https://example.org:8448"
        );
    }
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
