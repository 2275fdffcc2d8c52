//! Which addresses a webhook may reach. An endpoint on a loopback,
//! private, link-local or otherwise internal address would let an org admin
//! make the server call into its own network, so such endpoints are
//! refused when registered and again when delivered to (a name can resolve
//! elsewhere later), unless `CORKBOARD_WEBHOOK_ALLOW_PRIVATE` is set. The
//! HTTP client resolves names through [`GuardedResolver`], which drops
//! refused addresses, and follows no redirects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Longest endpoint URL, in bytes.
pub const URL_MAX: usize = 2000;

/// Why `ip` may not be reached, or `None` when it may.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4),
            None => refused_v6(v6),
        },
    }
}

fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("a multicast or reserved address")
    } else if (a == 192 && b == 0 && ip.octets()[2] == 0) || (a == 198 && (18..20).contains(&b)) {
        Some("a reserved (protocol assignment or benchmarking) address")
    } else {
        None
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    let first = seg[0];
    // IPv4 carried inside IPv6: judged as the IPv4 address it reaches.
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    let embedded = if seg[..6] == [0; 6] && !(seg[6] == 0 && seg[7] <= 1) {
        // IPv4-compatible `::a.b.c.d` (not `::` or `::1`).
        Some(v4(seg[6], seg[7]))
    } else if seg[..4] == [0, 0, 0, 0] && seg[4] == 0xffff && seg[5] == 0 {
        // IPv4-translated `::ffff:0:a.b.c.d`.
        Some(v4(seg[6], seg[7]))
    } else if seg[0] == 0x64 && seg[1] == 0xff9b && (seg[2..6] == [0; 4] || seg[2] == 1) {
        // NAT64, `64:ff9b::/96` and `64:ff9b:1::/48`.
        Some(v4(seg[6], seg[7]))
    } else if first == 0x2002 {
        // 6to4: the IPv4 address follows the prefix.
        Some(v4(seg[1], seg[2]))
    } else {
        None
    };
    if let Some(why) = embedded.and_then(refused_v4) {
        return Some(why);
    }
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if first & 0xfe00 == 0xfc00 {
        Some("a unique local (private) address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if first & 0xffc0 == 0xfec0 {
        Some("a site-local address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else {
        None
    }
}

/// An endpoint URL as given, checked for shape: `http` or `https`, a host,
/// no user name or password, at most [`URL_MAX`] bytes.
///
/// # Errors
/// What is wrong with it, in words.
pub fn parse_url(raw: &str) -> Result<Url, String> {
    if raw.len() > URL_MAX {
        return Err(format!("is longer than {URL_MAX} bytes"));
    }
    let url = Url::parse(raw.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must be http or https, not {}", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold a user name or password".into());
    }
    Ok(url)
}

/// Checks where `url` leads: every address its host resolves to must be
/// allowed (all of them, unless `allow_private`).
///
/// # Errors
/// Why it may not be used, in words.
pub async fn check_destination(url: &Url, allow_private: bool) -> Result<(), String> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("host {host} does not resolve ({e})"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("host {host} does not resolve"));
    }
    if allow_private {
        return Ok(());
    }
    for addr in addrs {
        if let Some(why) = refused(addr.ip()) {
            return Err(format!(
                "host {host} resolves to {}, {why}: webhooks may not reach internal \
                 networks (an operator can allow it with CORKBOARD_WEBHOOK_ALLOW_PRIVATE)",
                addr.ip()
            ));
        }
    }
    Ok(())
}

/// Resolves names for the webhook client, keeping only allowed addresses.
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || refused(a.ip()).is_none())
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no address webhooks may reach").into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Installs aws-lc-rs as the process's TLS provider, once (later calls do
/// nothing). reqwest is built with rustls and no provider of its own, so
/// every process that makes a reqwest client — the server, the tests, the
/// load generator — calls this first.
pub fn install_tls_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// The HTTP client deliveries use.
///
/// # Errors
/// When the TLS backend cannot be set up.
pub fn client(
    allow_private: bool,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    install_tls_provider();
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the host itself, past the guarded resolver.
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Corkboard-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "::ffff:0:192.168.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::",
            "fec0::1",
            "192.0.0.8",
            "198.18.0.1",
        ] {
            assert!(refused(ip.parse().expect("an address")).is_some(), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "100.128.0.1",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert_eq!(refused(ip.parse().expect("an address")), None, "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_for_shape() {
        assert!(parse_url("https://hooks.example.com/x?y=1").is_ok());
        assert!(parse_url("http://127.0.0.1:8080/").is_ok());
        for bad in [
            "ftp://example.com/",
            "not a url",
            "https://user:pw@example.com/",
            "file:///etc/passwd",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
        assert!(parse_url(&format!("https://e.com/{}", "a".repeat(URL_MAX))).is_err());
    }

    #[tokio::test]
    async fn loopback_destinations_are_refused_unless_allowed() {
        let url = parse_url("http://127.0.0.1:9/hook").expect("a URL");
        let refused = check_destination(&url, false).await.expect_err("refused");
        assert!(refused.contains("loopback"), "{refused}");
        assert!(check_destination(&url, true).await.is_ok());
        let localhost = parse_url("http://localhost:9/hook").expect("a URL");
        assert!(check_destination(&localhost, false).await.is_err());
    }
}
