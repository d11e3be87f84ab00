//! Who the client is: the socket's address, or, only when the socket is a configured
//! trusted proxy, the address that proxy (and any trusted proxies before it) reports
//! in `X-Forwarded-For`. Anyone can send the header; only proxies we trust may set it.
//! Every door (console, API) reads the client's address through this.

use std::net::IpAddr;
use std::sync::Arc;

use policy::condition::Cidr;

#[derive(Clone, Default)]
pub struct TrustedProxies(Arc<Vec<Cidr>>);

impl TrustedProxies {
    pub fn new(ranges: Vec<Cidr>) -> TrustedProxies {
        TrustedProxies(Arc::new(ranges))
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        let text = ip.to_string();
        self.0.iter().any(|range| range.contains(&text))
    }

    /// Whether the client reached us over TLS: only a trusted proxy can say so, with
    /// `X-Forwarded-Proto` (its own, the last value); the server itself speaks plain
    /// HTTP.
    pub fn secure(&self, socket: IpAddr, forwarded_proto: &[&str]) -> bool {
        self.trusts(&socket)
            && forwarded_proto
                .iter()
                .flat_map(|header| header.split(','))
                .map(str::trim)
                .next_back()
                .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
    }

    /// The facts of a request from `socket` with these headers: the client's address
    /// and whether it came over TLS, believing forwarding headers only from trusted
    /// proxies. Both doors (console, API) build their callers' facts here.
    pub fn facts(
        &self,
        socket: Option<std::net::SocketAddr>,
        headers: &http::HeaderMap,
    ) -> crate::RequestFacts {
        let Some(addr) = socket else {
            return crate::RequestFacts::default();
        };
        let values = |name: &str| -> Vec<&str> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect()
        };
        crate::RequestFacts {
            source_ip: Some(self.client(addr.ip(), &values("x-forwarded-for"))),
            secure_transport: self.secure(addr.ip(), &values("x-forwarded-proto")),
        }
    }

    /// The client's address: walking `X-Forwarded-For` from the nearest hop, the first
    /// address that is not a trusted proxy. An unreadable entry ends the walk at the
    /// last trusted hop, so a forged value can never be chosen over a proxy.
    pub fn client(&self, socket: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(&socket) {
            return socket;
        }
        let mut client = socket;
        for entry in forwarded_for
            .iter()
            .flat_map(|header| header.split(','))
            .map(str::trim)
            .rev()
        {
            let Ok(hop) = entry.parse::<IpAddr>() else {
                return client;
            };
            client = hop;
            if !self.trusts(&hop) {
                return hop;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxy_can_say_the_client_used_tls() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert!(trusted.secure(ip("10.0.0.2"), &["https"]));
        assert!(trusted.secure(ip("10.0.0.2"), &["http, https"]));
        assert!(!trusted.secure(ip("10.0.0.2"), &["https, http"]));
        assert!(!trusted.secure(ip("10.0.0.2"), &[]));
        assert!(!trusted.secure(ip("203.0.113.9"), &["https"]));
    }

    fn proxies(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies::new(ranges.iter().filter_map(|r| Cidr::parse(r)).collect())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let none = proxies(&[]);
        assert_eq!(
            none.client(ip("10.0.0.5"), &["198.51.100.7"]),
            ip("10.0.0.5")
        );
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &["198.51.100.7"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(trusted.client(ip("10.0.0.5"), &[]), ip("10.0.0.5"));
    }

    #[test]
    fn a_forged_left_part_is_ignored() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client sent "1.2.3.4" itself; the proxy appended the real address.
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &["1.2.3.4, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Two trusted hops, in one header or two.
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &["198.51.100.7, 10.1.1.1"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &["198.51.100.7", "10.1.1.1"]),
            ip("198.51.100.7")
        );
        // Garbage stops at the last trusted hop.
        assert_eq!(
            trusted.client(ip("10.0.0.5"), &["nonsense"]),
            ip("10.0.0.5")
        );
    }
}
