//! Who the client is and how it reached us, behind reverse proxies.
//!
//! Production runs behind TLS-terminating proxies, and then every TCP peer
//! is the proxy. Only when the peer is in `CORKBOARD_TRUSTED_PROXIES` are
//! its headers believed: the client is the right-most hop of `Forwarded`
//! (or, without it, `X-Forwarded-For`) that is not itself a trusted proxy,
//! and the scheme is the right-most `proto=` (or `X-Forwarded-Proto`). A
//! peer outside the list is the client, whatever headers it sends, so a
//! client cannot spoof its address to dodge the login lockout or the rate
//! limits.
//!
//! The middleware resolves this once per request and keeps it in the
//! request's extensions; the lockout, the rate limits, the request log,
//! login-session records and the WebSocket Origin check all read it from
//! there. A request that arrived over HTTPS (directly or via a trusted
//! proxy) gets `Strict-Transport-Security`.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};
use ipnet::IpNet;

use crate::startup::AppState;

/// `Strict-Transport-Security` on answers to HTTPS requests: one year.
pub const HSTS: &str = "max-age=31536000";

/// Networks whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated CIDRs (`10.0.0.0/8`) or addresses (`127.0.0.1`).
    ///
    /// # Errors
    /// A message naming the entry that is neither.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{entry:?} is not a CIDR (10.0.0.0/8) or an IP address"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:10.0.0.1`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address and whether it used HTTPS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr {
    pub ip: IpAddr,
    pub https: bool,
}

impl ClientAddr {
    /// From the TCP peer and the request's headers.
    pub fn resolve(
        peer: IpAddr,
        direct_https: bool,
        headers: &HeaderMap,
        trusted: &TrustedProxies,
    ) -> ClientAddr {
        let peer = canonical(peer);
        if !trusted.contains(peer) {
            return ClientAddr {
                ip: peer,
                https: direct_https,
            };
        }
        let forwarded = Forwarded::parse(headers);
        let mut ip = peer;
        for hop in forwarded.hops.iter().rev() {
            // An obfuscated or unknown hop ends the walk: the last proxy
            // we trust is the best address we have.
            let Some(hop) = hop else { break };
            ip = canonical(*hop);
            if !trusted.contains(ip) {
                break;
            }
        }
        let https = match forwarded.proto {
            Some(proto) => proto.eq_ignore_ascii_case("https"),
            None => direct_https,
        };
        ClientAddr { ip, https }
    }

    /// The request's client, as the middleware resolved it (the TCP peer
    /// when it did not run, as in unit tests).
    pub fn of(req: &HttpRequest) -> ClientAddr {
        if let Some(addr) = req.extensions().get::<ClientAddr>() {
            return *addr;
        }
        ClientAddr {
            ip: req
                .peer_addr()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| canonical(a.ip())),
            https: req.app_config().secure(),
        }
    }
}

/// What the forwarding headers say: the hops, left (client) to right
/// (nearest proxy), `None` for one that is not an address; and the
/// nearest proxy's `proto`.
#[derive(Debug, Default, PartialEq)]
struct Forwarded {
    hops: Vec<Option<IpAddr>>,
    proto: Option<String>,
}

impl Forwarded {
    /// RFC 7239 `Forwarded` when present, else `X-Forwarded-For` and
    /// `X-Forwarded-Proto`. Every line of a repeated header counts, in order.
    fn parse(headers: &HeaderMap) -> Forwarded {
        let values = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let elements = values("forwarded");
        if !elements.is_empty() {
            let mut out = Forwarded::default();
            for element in elements {
                let mut hop = None;
                for pair in element.split(';') {
                    let Some((key, value)) = pair.split_once('=') else {
                        continue;
                    };
                    let value = value.trim().trim_matches('"');
                    match key.trim().to_ascii_lowercase().as_str() {
                        "for" => hop = Some(node_ip(value)),
                        "proto" => out.proto = Some(value.to_owned()),
                        _ => {}
                    }
                }
                out.hops.push(hop.flatten());
            }
            return out;
        }
        Forwarded {
            hops: values("x-forwarded-for")
                .iter()
                .map(|v| node_ip(v))
                .collect(),
            proto: values("x-forwarded-proto").pop(),
        }
    }
}

/// The address of a node: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711` or a bare IPv6 address; `None` for `unknown` and
/// obfuscated names.
fn node_ip(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    node.rsplit_once(':')?
        .0
        .parse::<Ipv4Addr>()
        .ok()
        .map(IpAddr::V4)
}

/// Middleware: resolve the client once, keep it in the request's
/// extensions, and add HSTS to answers to HTTPS requests.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.trusted_proxies.clone())
        .unwrap_or_default();
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let addr = ClientAddr::resolve(peer, req.app_config().secure(), req.headers(), &trusted);
    req.extensions_mut().insert(addr);
    let mut res = next.call(req).await?;
    if addr.https {
        res.headers_mut().insert(
            actix_web::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn resolve(trusted: &str, pairs: &[(&str, &str)]) -> ClientAddr {
        let trusted = TrustedProxies::parse(trusted).expect("valid");
        ClientAddr::resolve(ip("10.0.0.1"), false, &headers(pairs), &trusted)
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let spoof = [
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=198.51.100.1;proto=https"),
        ];
        let addr = resolve("", &spoof);
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("10.0.0.1"),
                https: false
            }
        );
        let addr = resolve("192.168.0.0/16", &spoof);
        assert_eq!(addr.ip, ip("10.0.0.1"));
    }

    #[test]
    fn a_trusted_peer_names_the_right_most_untrusted_hop() {
        let xff = [
            ("x-forwarded-for", "198.51.100.9, 203.0.113.7"),
            ("x-forwarded-proto", "https"),
        ];
        let addr = resolve("10.0.0.0/8", &xff);
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("203.0.113.7"),
                https: true
            }
        );
        // A chain of trusted proxies is walked past.
        let addr = resolve("10.0.0.0/8, 203.0.113.0/24", &xff);
        assert_eq!(addr.ip, ip("198.51.100.9"));
        // Every hop trusted: the left-most is the best we know.
        let addr = resolve("0.0.0.0/0", &xff);
        assert_eq!(addr.ip, ip("198.51.100.9"));
        // No header: the proxy itself.
        assert_eq!(resolve("10.0.0.0/8", &[]).ip, ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_parses_every_node_form() {
        let pairs = [
            ("x-forwarded-for", "192.0.2.200"),
            ("forwarded", "for=192.0.2.43:4711;proto=http"),
            (
                "forwarded",
                r#"for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1"#,
            ),
        ];
        let addr = resolve("10.0.0.0/8", &pairs);
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("2001:db8:cafe::17"),
                https: true
            }
        );
        let addr = resolve("10.0.0.0/8, 2001:db8::/32", &pairs);
        assert_eq!(addr.ip, ip("192.0.2.43"));
        // An obfuscated hop stops the walk at the last trusted address.
        let addr = resolve("10.0.0.0/8", &[("forwarded", "for=_hidden, for=unknown")]);
        assert_eq!(addr.ip, ip("10.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_networks() {
        let trusted = TrustedProxies::parse("127.0.0.1").expect("valid");
        assert!(trusted.contains(ip("::ffff:127.0.0.1")));
        assert!(TrustedProxies::parse("10.0.0.0/8, nope").is_err());
    }
}
