//! Which addresses a server may be steered into calling: not the operator's own network.
//!
//! A client names the server to call (an OpenID token's `matrix_server_name`); a name that
//! resolves to a private, loopback or otherwise special address would let it probe what
//! sits behind the firewall (Synapse's CVE-2021-21392 is this class). The ranges are one
//! table, from IANA's IPv4 and IPv6 Special-Purpose Address Registries, and an IPv6 address
//! that carries an IPv4 one (IPv4-mapped and -compatible, NAT64, 6to4) is judged by the
//! IPv4 address it carries. [`PublicOnly`] applies the table inside reqwest's resolver, so
//! every connection made from a name is checked, at the moment it is made.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::LazyLock;

use ipnet::{Ipv4Net, Ipv6Net};

/// IPv4 ranges that are not the public internet.
const V4_SPECIAL: &[&str] = &[
    "0.0.0.0/8",       // "this network"
    "10.0.0.0/8",      // private
    "100.64.0.0/10",   // shared address space (carrier-grade NAT)
    "127.0.0.0/8",     // loopback
    "169.254.0.0/16",  // link-local
    "172.16.0.0/12",   // private
    "192.0.0.0/24",    // IETF protocol assignments
    "192.0.2.0/24",    // documentation (TEST-NET-1)
    "192.31.196.0/24", // AS112-v4
    "192.52.193.0/24", // AMT
    "192.88.99.0/24",  // 6to4 relay anycast (deprecated)
    "192.168.0.0/16",  // private
    "192.175.48.0/24", // direct delegation AS112 service
    "198.18.0.0/15",   // benchmarking
    "198.51.100.0/24", // documentation (TEST-NET-2)
    "203.0.113.0/24",  // documentation (TEST-NET-3)
    "224.0.0.0/4",     // multicast
    "240.0.0.0/4",     // reserved, and the limited broadcast address
];

/// IPv6 ranges that are not the public internet. The ranges that carry an IPv4 address
/// (`::ffff:0:0/96`, `::/96`, `64:ff9b::/96`, `2002::/16`) are judged by it instead.
const V6_SPECIAL: &[&str] = &[
    "64:ff9b:1::/48",    // local-use IPv4/IPv6 translation
    "100::/64",          // discard-only
    "2001::/23",         // IETF protocol assignments: Teredo (2001::/32), benchmarking, ORCHID...
    "2001:db8::/32",     // documentation
    "2620:4f:8000::/48", // direct delegation AS112 service
    "3fff::/20",         // documentation
    "5f00::/16",         // segment routing (SRv6) SIDs
    "fc00::/7",          // unique local
    "fe80::/10",         // link-local
    "fec0::/10",         // site-local (deprecated)
    "ff00::/8",          // multicast
];

static V4_NETS: LazyLock<Vec<Ipv4Net>> = LazyLock::new(|| parse(V4_SPECIAL));
static V6_NETS: LazyLock<Vec<Ipv6Net>> = LazyLock::new(|| parse(V6_SPECIAL));

fn parse<N: std::str::FromStr>(table: &[&str]) -> Vec<N>
where
    N::Err: std::fmt::Debug,
{
    table
        .iter()
        .map(|net| net.parse().expect("the tables are valid networks"))
        .collect()
}

/// Whether calling `ip` could reach something that is not the public internet.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => V4_NETS.iter().any(|net| net.contains(&v4)),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => is_internal(IpAddr::V4(v4)),
            None => {
                v6.is_unspecified()
                    || v6.is_loopback()
                    || V6_NETS.iter().any(|net| net.contains(&v6))
            }
        },
    }
}

/// The IPv4 address an IPv6 one carries, where the whole address stands for that IPv4
/// address: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::/48`.
fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let octets = v6.octets();
    let last = |from: usize| {
        Ipv4Addr::new(
            octets[from],
            octets[from + 1],
            octets[from + 2],
            octets[from + 3],
        )
    };
    let segments = v6.segments();
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if segments[..6] == [0; 6] && !v6.is_unspecified() && !v6.is_loopback() {
        return Some(last(12));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(last(12));
    }
    if segments[0] == 0x2002 {
        return Some(last(2));
    }
    None
}

/// A reqwest resolver that resolves as the system does and keeps only public addresses;
/// a name with none is an error, so no connection to it is ever made.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            public(&host, all)
        })
    }
}

/// The public addresses of `host` among `all`; an error when there are none.
fn public(
    host: &str,
    all: Vec<SocketAddr>,
) -> Result<reqwest::dns::Addrs, Box<dyn std::error::Error + Send + Sync>> {
    let public: Vec<SocketAddr> = all.into_iter().filter(|a| !is_internal(a.ip())).collect();
    if public.is_empty() {
        return Err(format!("{host} resolves to no public address").into());
    }
    Ok(Box::new(public.into_iter()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    fn internal(text: &str) -> bool {
        is_internal(text.parse().unwrap())
    }

    #[test]
    fn every_special_purpose_range_is_internal_at_both_ends() {
        for net in V4_SPECIAL.iter().map(|n| n.parse::<Ipv4Net>().unwrap()) {
            assert!(is_internal(IpAddr::V4(net.network())), "{net}");
            assert!(is_internal(IpAddr::V4(net.broadcast())), "{net}");
        }
        for net in V6_SPECIAL.iter().map(|n| n.parse::<Ipv6Net>().unwrap()) {
            assert!(is_internal(IpAddr::V6(net.network())), "{net}");
            assert!(is_internal(IpAddr::V6(net.broadcast())), "{net}");
        }
        for special in ["::", "::1", "255.255.255.255"] {
            assert!(internal(special), "{special}");
        }
    }

    #[test]
    fn public_addresses_are_not() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.0.1.1",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450::1",
            "2001:200::1",
        ] {
            assert!(!internal(public), "{public}");
        }
    }

    #[test]
    fn ipv6_addresses_that_carry_ipv4_ones_are_judged_by_them() {
        for (carried, internal_expected) in [
            ("127.0.0.1", true),
            ("10.1.2.3", true),
            ("169.254.169.254", true),
            ("8.8.8.8", false),
        ] {
            let v4: Ipv4Addr = carried.parse().unwrap();
            let [a, b, c, d] = v4.octets();
            let forms = [
                v4.to_ipv6_mapped(),
                v4.to_ipv6_compatible(),
                Ipv6Addr::new(
                    0x64,
                    0xff9b,
                    0,
                    0,
                    0,
                    0,
                    u16::from_be_bytes([a, b]),
                    u16::from_be_bytes([c, d]),
                ),
                Ipv6Addr::new(
                    0x2002,
                    u16::from_be_bytes([a, b]),
                    u16::from_be_bytes([c, d]),
                    0,
                    0,
                    0,
                    0,
                    1,
                ),
            ];
            for form in forms {
                assert_eq!(
                    is_internal(IpAddr::V6(form)),
                    internal_expected,
                    "{form} carrying {carried}"
                );
            }
        }
        // Teredo hides its IPv4 addresses; the whole prefix is refused.
        assert!(internal("2001:0:4136:e378:8000:63bf:3fff:fdd2"));
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_with_only_internal_addresses() {
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let error = match PublicOnly.resolve(name).await {
            Ok(addresses) => panic!("localhost resolved to {:?}", addresses.collect::<Vec<_>>()),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("no public address"), "{error}");
        // Internal addresses are dropped from an answer that has public ones too.
        let mixed = vec!["10.0.0.1:0".parse().unwrap(), "1.1.1.1:0".parse().unwrap()];
        let kept: Vec<SocketAddr> = public("mixed.example", mixed).unwrap().collect();
        assert_eq!(kept, ["1.1.1.1:0".parse::<SocketAddr>().unwrap()]);
    }
}
