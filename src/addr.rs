//! Which addresses are inside the network: the one rule that the fetcher's guard (on every
//! resolved address) and the config's load-time check (on a feed URL's literal host) share;
//! and what one host is, for the same two. Pure: no sockets, no DNS.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// A URL's host and port, lowercased ("kaltim.antaranews.com:443"): what is one site to
/// the fetcher's politeness and to per-source request options.
pub fn host_key(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{}:{p}", h.to_ascii_lowercase()),
        (Some(h), None) => h.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Why a URL whose host is an IP literal (or `localhost`) is refused, if it is.
pub fn literal_private(url: &Url) -> Option<String> {
    match url.host()? {
        Host::Ipv4(ip) if is_private_ip(IpAddr::V4(ip)) => {
            Some(format!("{ip} is a private or loopback address"))
        }
        Host::Ipv6(ip) if is_private_ip(IpAddr::V6(ip)) => {
            Some(format!("{ip} is a private or loopback address"))
        }
        Host::Domain(d) if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") => {
            Some(format!("{d} is this machine"))
        }
        _ => None,
    }
}

pub fn is_private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            private_v6(v6)
        }
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || o[0] == 0
        // 100.64.0.0/10, carrier-grade NAT: internal to a provider's network.
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        // 192.0.0.0/24, IETF protocol assignments; 198.18.0.0/15, benchmarking.
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        || o[0] >= 240
}

fn private_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "103.10.20.30", "2001:4860::8888"] {
            assert!(!is_private_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_hosts() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(literal_private(&u("http://127.0.0.2:8080/x")).is_some());
        assert!(literal_private(&u("http://[::1]/")).is_some());
        assert!(literal_private(&u("http://LOCALHOST/")).is_some());
        assert!(literal_private(&u("https://kaltim.antaranews.com/")).is_none());
    }
}
