//! Where deliveries may go.
//!
//! - `live`: `https://` only, and only to public addresses. A literal IP is checked as given;
//!   a host name is resolved when the endpoint is registered (every address must be public),
//!   and again at each delivery, where the connection may only use the public addresses the
//!   name resolves to then ([`PublicResolver`]), so a name that later points inside the
//!   network (DNS rebinding) reaches nothing there.
//! - `simulated` (demos and tests, on a loopback listener): `https://` anywhere, and plain
//!   `http://` to this machine (`localhost`, 127.0.0.0/8, `::1`), for the built-in demo
//!   receiver and a test's own.
//!
//! Never accepted: other schemes, credentials in the URL, a URL over [`URL_MAX_CHARS`].

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use crate::{domain::bounds, error::ApiError};

/// The longest endpoint URL.
pub const URL_MAX_CHARS: usize = 2048;
/// How long a registration waits for the URL's host name to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPolicy {
    /// Demos and tests: https anywhere, and http to this machine.
    Simulated,
    /// A deployment: https to public addresses only.
    Live,
}

/// An endpoint URL the policy accepts as written (a host name is checked by [`EndpointUrl::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(url::Url);

impl EndpointUrl {
    pub fn parse(raw: &str, policy: UrlPolicy) -> Result<EndpointUrl, ApiError> {
        // The length counts what was sent, spaces around it included, as the API document says.
        bounds::secret("url", raw, URL_MAX_CHARS)?;
        let raw = raw.trim();
        bounds::line("url", raw, URL_MAX_CHARS)?;
        let invalid = |why: &str| ApiError::InvalidInput(format!("The webhook URL {why}"));
        let url = url::Url::parse(raw).map_err(|e| invalid(&format!("is not a URL: {e}.")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "must not carry a user name or password; authenticate deliveries by their signature.",
            ));
        }
        let host = url
            .host()
            .ok_or_else(|| invalid("has no host."))?
            .to_owned();
        let loopback = match &host {
            url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        match (url.scheme(), policy) {
            ("https", _) => {}
            ("http", UrlPolicy::Simulated) if loopback => {}
            ("http", UrlPolicy::Simulated) => {
                return Err(invalid(
                    "must use https:// (plain http:// is allowed only to this machine, in simulated mode).",
                ))
            }
            _ => return Err(invalid("must use https://.")),
        }
        if policy == UrlPolicy::Live {
            let literal = match host {
                url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
                url::Host::Domain(_) if loopback => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                url::Host::Domain(_) => None,
            };
            if let Some(ip) = literal.filter(|ip| !is_public(*ip)) {
                return Err(invalid(&format!(
                    "points at {ip}, a {} address; deliveries go to public addresses only.",
                    kind(ip)
                )));
            }
        }
        Ok(EndpointUrl(url))
    }

    /// In `live` mode, resolves the host name and refuses it unless every address it resolves
    /// to is public (`simulated`: nothing to check).
    pub async fn resolve(&self, policy: UrlPolicy) -> Result<(), ApiError> {
        let (UrlPolicy::Live, Some(url::Host::Domain(name))) = (policy, self.0.host()) else {
            return Ok(());
        };
        let port = self.0.port_or_known_default().unwrap_or(443);
        let unresolved = || {
            ApiError::InvalidInput(format!(
                "The webhook URL's host {name} could not be resolved; check the name."
            ))
        };
        let addrs: Vec<SocketAddr> =
            tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((name, port)))
                .await
                .map_err(|_| unresolved())?
                .map_err(|_| unresolved())?
                .collect();
        if addrs.is_empty() {
            return Err(unresolved());
        }
        all_public(name, &addrs)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// What the audit log shows of the URL (see [`shown`]).
    pub fn shown(&self) -> String {
        shown(&self.0)
    }
}

/// A URL as the audit log shows it (every role reads it): the scheme, host and port only. The
/// path and query often carry the receiver's own token (`/services/T.../B.../XXXX`).
pub fn shown(url: &url::Url) -> String {
    let origin = url.origin().ascii_serialization();
    if url.path() == "/" || url.path().is_empty() {
        format!("{origin}/")
    } else {
        format!("{origin}/…")
    }
}

/// Resolves host names for deliveries in `live` mode, keeping only public addresses: the
/// connection can then only go where the policy allows, whatever the name resolves to now.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public = public_only(&all);
            if public.is_empty() {
                return Err(Box::new(NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// A host name that resolves to no public address. What it resolves to is not said: the
/// delivery history (and the registration's problem) would otherwise tell whoever controls
/// the name what is inside the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPublic;

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the address is not allowed (it resolves to a private or reserved network)")
    }
}

impl std::error::Error for NotPublic {}

/// Refuses `name` unless every address it resolved to is public. What it resolves to is not
/// said: the answer would map the inside of the network for whoever controls names.
fn all_public(name: &str, addrs: &[SocketAddr]) -> Result<(), ApiError> {
    if addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(ApiError::InvalidInput(format!(
            "The webhook URL's host {name} is not allowed: {NotPublic}; deliveries go to \
             public addresses only."
        )));
    }
    Ok(())
}

/// The public addresses among `addrs`.
pub fn public_only(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    addrs
        .iter()
        .copied()
        .filter(|a| is_public(a.ip()))
        .collect()
}

/// Whether `ip` is an address on the public Internet. IPv4: not private, loopback, link-local,
/// unspecified, multicast, broadcast, shared (CGNAT), reserved, for documentation or
/// benchmarking, nor the 6to4 relay anycast. IPv6 is judged by an allow-list: global unicast
/// (2000::/3) minus the blocks of the IANA IPv6 special-purpose registry that are not globally
/// reachable; an IPv6 form that carries an IPv4 address (IPv4-mapped `::ffff:0:0/96`, the NAT64
/// well-known prefix `64:ff9b::/96`, 6to4 `2002::/16`) is judged as that IPv4 address.
/// Everything else outside 2000::/3 is refused: loopback, unspecified, IPv4-compatible and
/// IPv4-translated (`::ffff:0:0:0/96`), local-use NAT64 (`64:ff9b:1::/48`), discard-only
/// (`100::/64`), unique local, link- and site-local, multicast, SRv6 SIDs (`5f00::/16`).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // IPv4-mapped (::ffff:0:0/96): the IPv4 address it maps.
    if s[..6] == [0, 0, 0, 0, 0, 0xffff] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // NAT64's well-known prefix (64:ff9b::/96) reaches the IPv4 address it carries. Its
    // local-use prefix (64:ff9b:1::/48) translates into a network of its operator's: refused
    // below, as everything outside 2000::/3.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // Global unicast only.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    // 6to4 (2002::/16) reaches the IPv4 address it carries.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    let (hi, lo) = (s[0], s[1]);
    let special = match hi {
        // IETF protocol assignments (2001::/23: Teredo, benchmarking, ORCHID, a few anycast
        // services) and documentation (2001:db8::/32).
        0x2001 => lo < 0x0200 || lo == 0x0db8,
        // Documentation (3fff::/20).
        0x3fff => lo < 0x1000,
        _ => false,
    };
    !special
}

/// What kind of non-public address `ip` is, for the problem's detail.
fn kind(ip: IpAddr) -> &'static str {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    match (ip, v4) {
        (_, Some(v4)) if v4.is_loopback() => "loopback",
        (_, Some(v4)) if v4.is_private() => "private",
        (_, Some(v4)) if v4.is_link_local() => "link-local",
        (_, Some(v4)) if v4.is_unspecified() => "unspecified",
        (_, Some(v4)) if v4.is_multicast() => "multicast",
        (IpAddr::V6(v6), None) if v6.is_loopback() => "loopback",
        (IpAddr::V6(v6), None) if v6.is_unspecified() => "unspecified",
        (IpAddr::V6(v6), None) if v6.is_multicast() => "multicast",
        (IpAddr::V6(v6), None) if (v6.segments()[0] & 0xffc0) == 0xfe80 => "link-local",
        (IpAddr::V6(v6), None) if (v6.segments()[0] & 0xfe00) == 0xfc00 => "private",
        _ => "non-public",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn refused(raw: &str, policy: UrlPolicy) -> Option<&'static str> {
        EndpointUrl::parse(raw, policy).err().map(|e| e.code())
    }

    #[test]
    fn public_addresses_are_told_from_the_others() {
        for ip in [
            "93.184.215.14",
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
        for ip in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:0001::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} is not public");
        }
    }

    /// Issue 22, item 12: the IPv6 ranges the policy let through, each judged as the IANA
    /// special-purpose registry says (or as the IPv4 address it carries).
    #[test]
    fn ipv6_is_public_only_in_global_unicast_outside_the_special_purpose_blocks() {
        for (ip, why) in [
            ("::ffff:0:a00:1", "IPv4-translated (SIIT) of 10.0.0.1"),
            ("::ffff:0:808:808", "IPv4-translated (::ffff:0:0:0/96)"),
            ("::ffff:0:0", "IPv4-mapped 0.0.0.0"),
            ("::ffff:c0a8:101", "IPv4-mapped 192.168.1.1"),
            ("::ffff:6440:1", "IPv4-mapped CGNAT 100.64.0.1"),
            ("64:ff9b:1::808:808", "local-use NAT64 (64:ff9b:1::/48)"),
            ("64:ff9b:1:ffff::1", "local-use NAT64 (64:ff9b:1::/48)"),
            ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
            ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254"),
            ("64:ff9b:0:0:1::1", "outside both NAT64 prefixes"),
            ("100::1", "discard-only (100::/64)"),
            ("2001:2::1", "benchmarking (2001:2::/48)"),
            ("2001:10::1", "ORCHID (2001:10::/28)"),
            ("2001:1ff::1", "IETF protocol assignments (2001::/23)"),
            ("3fff::1", "documentation (3fff::/20)"),
            ("3fff:fff::1", "documentation (3fff::/20)"),
            ("5f00::1", "SRv6 SIDs (5f00::/16)"),
            ("4000::1", "outside 2000::/3"),
            ("1000::1", "outside 2000::/3"),
            ("2002:a00:1::1", "6to4 of 10.0.0.1"),
            ("2002:c058:6301::1", "6to4 of the 6to4 relay anycast"),
            ("192.88.99.1", "6to4 relay anycast"),
        ] {
            assert!(
                !is_public(ip.parse().unwrap()),
                "{ip} ({why}) is not public"
            );
        }
        for ip in [
            "2001:200::1",
            "2400:cb00::1",
            "2a00:1450:4001::1",
            "3ffe::1",
            "3fff:1000::1",
            "64:ff9b::5db8:d70e",
            "::ffff:5db8:d70e",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
        assert_eq!(
            refused("https://[64:ff9b:1::808:808]/in", UrlPolicy::Live),
            Some("invalid_input")
        );
        assert_eq!(
            refused("https://[::ffff:0:a00:1]/in", UrlPolicy::Live),
            Some("invalid_input")
        );
    }

    #[test]
    fn live_mode_takes_https_to_public_addresses_only() {
        for ok in [
            "https://hooks.example.com/tenant-connect",
            "https://93.184.215.14/hook?token=abc",
            "https://[2606:4700::1111]:8443/x",
            "  https://hooks.example.com  ",
        ] {
            assert!(EndpointUrl::parse(ok, UrlPolicy::Live).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example.com/",
            "http://127.0.0.1:8080/_demo/webhook-receiver",
            "https://127.0.0.1/",
            "https://127.1/",
            "https://2130706433/",
            "https://0x7f.0.0.1/",
            "https://localhost/",
            "https://10.1.2.3/",
            "https://192.168.0.10/",
            "https://172.20.0.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://224.0.0.1/",
            "ftp://hooks.example.com/",
            "https://user:pass@hooks.example.com/",
            "not a url",
            "https://",
        ] {
            assert_eq!(
                refused(bad, UrlPolicy::Live),
                Some("invalid_input"),
                "{bad}"
            );
        }
    }

    #[test]
    fn simulated_mode_also_takes_http_to_this_machine() {
        for ok in [
            "http://127.0.0.1:8080/_demo/webhook-receiver",
            "http://localhost:9000/hook",
            "http://[::1]:9000/",
            "https://10.0.0.1/",
            "https://hooks.example.com/",
        ] {
            assert!(EndpointUrl::parse(ok, UrlPolicy::Simulated).is_ok(), "{ok}");
        }
        for bad in [
            "http://hooks.example.com/",
            "http://10.0.0.1/",
            "http://192.168.1.1:8080/",
            "javascript:alert(1)",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                refused(bad, UrlPolicy::Simulated),
                Some("invalid_input"),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_overlong_or_broken_line_is_out_of_bounds() {
        let long = format!("https://hooks.example.com/{}", "a".repeat(URL_MAX_CHARS));
        assert_eq!(refused(&long, UrlPolicy::Live), Some("out_of_bounds"));
        assert_eq!(
            refused("https://hooks.example.com/a\u{7}b", UrlPolicy::Live),
            Some("out_of_bounds")
        );
    }

    #[test]
    fn the_audit_log_shows_only_the_scheme_host_and_port() {
        let url = EndpointUrl::parse(
            "https://hooks.example.com:8443/services/T1/B2/xoxo?token=secret#f",
            UrlPolicy::Live,
        )
        .unwrap();
        assert_eq!(url.shown(), "https://hooks.example.com:8443/…");
        let root = EndpointUrl::parse("https://hooks.example.com", UrlPolicy::Live).unwrap();
        assert_eq!(root.shown(), "https://hooks.example.com/");
    }

    #[tokio::test]
    async fn live_mode_resolves_names_and_refuses_private_answers() {
        // `localhost` is refused as written; a name resolving to loopback is refused when
        // resolved (the resolver of this machine knows `localhost.` at least).
        let url = EndpointUrl::parse("https://localhost./hook", UrlPolicy::Live);
        let refused = match url {
            Err(e) => e.code(),
            Ok(url) => url
                .resolve(UrlPolicy::Live)
                .await
                .err()
                .map_or("accepted", |e| e.code()),
        };
        assert_eq!(refused, "invalid_input");
        // What a name resolves to is not said.
        let inside: Vec<SocketAddr> = ["93.184.215.14:443", "10.20.30.40:443"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let problem = all_public("hooks.example.com", &inside)
            .unwrap_err()
            .to_string();
        assert!(problem.contains("private or reserved"), "{problem}");
        assert!(!problem.contains("10.20.30.40"), "{problem}");
        assert!(all_public("hooks.example.com", &inside[..1]).is_ok());
        let unknown =
            EndpointUrl::parse("https://no-such-host.invalid/hook", UrlPolicy::Live).unwrap();
        assert_eq!(
            unknown
                .resolve(UrlPolicy::Live)
                .await
                .err()
                .map(|e| e.code()),
            Some("invalid_input")
        );
        // Simulated mode resolves nothing.
        let sim =
            EndpointUrl::parse("https://no-such-host.invalid/hook", UrlPolicy::Simulated).unwrap();
        assert!(sim.resolve(UrlPolicy::Simulated).await.is_ok());
    }

    #[test]
    fn the_delivery_resolver_keeps_public_addresses_only() {
        let addrs: Vec<SocketAddr> = ["10.0.0.1:443", "93.184.215.14:443", "[::1]:443"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert_eq!(
            public_only(&addrs),
            vec!["93.184.215.14:443".parse::<SocketAddr>().unwrap()]
        );
    }
}
