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
        if let Some(ip) = addrs.iter().map(SocketAddr::ip).find(|ip| !is_public(*ip)) {
            return Err(ApiError::InvalidInput(format!(
                "The webhook URL's host {name} resolves to {ip}, a {} address; deliveries go \
                 to public addresses only.",
                kind(ip)
            )));
        }
        Ok(())
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
                let shown = all.first().map(|a| a.ip().to_string()).unwrap_or_default();
                return Err(format!(
                    "{host} resolves only to addresses deliveries may not reach ({shown}); \
                     deliveries go to public addresses only"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// The public addresses among `addrs`.
pub fn public_only(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    addrs
        .iter()
        .copied()
        .filter(|a| is_public(a.ip()))
        .collect()
}

/// Whether `ip` is an address on the public Internet: not private, loopback, link-local,
/// unspecified, multicast, broadcast, shared (CGNAT), reserved or for documentation, and not
/// one of these hidden in an IPv6 form (IPv4-mapped, NAT64, 6to4).
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
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they carry.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(embedded_v4(segments[1], segments[2]));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || (segments[0] == 0x2001 && segments[1] == 0) // Teredo
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
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
