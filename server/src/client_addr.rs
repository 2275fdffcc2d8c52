//! Who the client is and how it reached us, behind reverse proxies.
//!
//! Production runs behind TLS-terminating proxies, and then every TCP peer
//! is the proxy. Only when the peer is in `CORKBOARD_TRUSTED_PROXIES` are
//! its headers believed, and only the one header the proxies are set up to
//! write (`CORKBOARD_FORWARDED_HEADER`): the client is its right-most hop
//! that is not itself a trusted proxy, and the scheme is what the nearest
//! proxy reports (`X-Forwarded-Proto`, or the `proto=` of the right-most
//! `Forwarded` element). The other header is ignored: a proxy passes on
//! what it does not write, so believing it would let a client choose its
//! own address. A peer outside the list is the client, whatever headers it
//! sends, so a client cannot spoof its address to dodge the login lockout
//! or the rate limits.
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

use crate::state::AppState;

/// `Strict-Transport-Security` on answers to HTTPS requests: one year.
pub const HSTS: &str = "max-age=31536000";

/// Which header the trusted proxies write (`CORKBOARD_FORWARDED_HEADER`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For` and `X-Forwarded-Proto` (nginx, HAProxy, most
    /// load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=…;proto=…`.
    Forwarded,
}

impl ForwardedHeader {
    /// `x-forwarded-for` or `forwarded`.
    ///
    /// # Errors
    /// A message saying what is accepted.
    pub fn parse(name: &str) -> Result<ForwardedHeader, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            _ => Err(format!(
                "{name:?} is not valid: use x-forwarded-for or forwarded"
            )),
        }
    }
}

/// Networks whose forwarding header is believed, and which header that is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Comma-separated CIDRs (`10.0.0.0/8`) or addresses (`127.0.0.1`),
    /// writing `X-Forwarded-For` (see [`TrustedProxies::writing`]).
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
            .map(|nets| TrustedProxies {
                nets,
                header: ForwardedHeader::default(),
            })
    }

    /// The same proxies, believed in `header` only.
    pub fn writing(self, header: ForwardedHeader) -> TrustedProxies {
        TrustedProxies { header, ..self }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// Whether every address is trusted (`0.0.0.0/0` or `::/0`): then any
    /// client could name its own address.
    pub fn trusts_everyone(&self) -> bool {
        self.nets.iter().any(|net| net.prefix_len() == 0)
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
        let forwarded = Forwarded::parse(headers, trusted.header);
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

/// What the forwarding header says: the hops, left (client) to right
/// (nearest proxy), `None` for one that is not an address; and the scheme
/// the nearest proxy reports.
#[derive(Debug, Default, PartialEq)]
struct Forwarded {
    hops: Vec<Option<IpAddr>>,
    proto: Option<String>,
}

impl Forwarded {
    /// `X-Forwarded-For` and `X-Forwarded-Proto`, or RFC 7239 `Forwarded`,
    /// as `header` says. Every line of a repeated header counts, in order.
    fn parse(headers: &HeaderMap, header: ForwardedHeader) -> Forwarded {
        let values = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect()
        };
        if header == ForwardedHeader::XForwardedFor {
            return Forwarded {
                hops: values("x-forwarded-for")
                    .iter()
                    .map(|v| node_ip(v))
                    .collect(),
                proto: values("x-forwarded-proto").pop(),
            };
        }
        let mut out = Forwarded::default();
        for element in values("forwarded") {
            let (mut hop, mut proto) = (None, None);
            for pair in element.split(';') {
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "for" => hop = node_ip(value),
                    "proto" => proto = Some(value.to_owned()),
                    _ => {}
                }
            }
            out.hops.push(hop);
            // Only the right-most element is the nearest proxy's.
            out.proto = proto;
        }
        out
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
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let secure = req.app_config().secure();
    // Borrowed, not cloned: this runs on every request.
    let addr = match req.app_data::<web::Data<AppState>>() {
        Some(state) => {
            ClientAddr::resolve(peer, secure, req.headers(), &state.settings.trusted_proxies)
        }
        None => ClientAddr::resolve(peer, secure, req.headers(), &TrustedProxies::default()),
    };
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

    fn resolve_forwarded(trusted: &str, pairs: &[(&str, &str)]) -> ClientAddr {
        let trusted = TrustedProxies::parse(trusted)
            .expect("valid")
            .writing(ForwardedHeader::Forwarded);
        ClientAddr::resolve(ip("10.0.0.1"), false, &headers(pairs), &trusted)
    }

    #[test]
    fn only_the_configured_header_is_believed() {
        // A client's own `Forwarded`, passed on by an nginx that writes
        // X-Forwarded-For, changes nothing.
        let pairs = [
            ("forwarded", "for=192.0.2.66;proto=https"),
            ("x-forwarded-for", "198.51.100.5"),
        ];
        assert_eq!(
            resolve("10.0.0.0/8", &pairs),
            ClientAddr {
                ip: ip("198.51.100.5"),
                https: false
            }
        );
        // And the other way round.
        let addr = resolve_forwarded(
            "10.0.0.0/8",
            &[
                ("x-forwarded-for", "192.0.2.66"),
                ("x-forwarded-proto", "https"),
            ],
        );
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("10.0.0.1"),
                https: false
            }
        );
        assert_eq!(
            ForwardedHeader::parse("Forwarded"),
            Ok(ForwardedHeader::Forwarded)
        );
        assert!(ForwardedHeader::parse("x-real-ip").is_err());
    }

    #[test]
    fn forwarded_parses_every_node_form_and_takes_proto_from_the_nearest_proxy() {
        let pairs = [
            ("forwarded", "for=192.0.2.43:4711;proto=http"),
            (
                "forwarded",
                r#"for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1"#,
            ),
        ];
        let addr = resolve_forwarded("10.0.0.0/8", &pairs);
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("2001:db8:cafe::17"),
                https: true
            }
        );
        let addr = resolve_forwarded("10.0.0.0/8, 2001:db8::/32", &pairs);
        assert_eq!(addr.ip, ip("192.0.2.43"));
        // A client-written proto= further left does not count; the nearest
        // proxy said nothing, so the connection's own scheme stands.
        let addr = resolve_forwarded(
            "10.0.0.0/8",
            &[("forwarded", "for=192.0.2.1;proto=https, for=192.0.2.2")],
        );
        assert_eq!(
            addr,
            ClientAddr {
                ip: ip("192.0.2.2"),
                https: false
            }
        );
        // An obfuscated hop stops the walk at the last trusted address.
        let addr = resolve_forwarded("10.0.0.0/8", &[("forwarded", "for=_hidden, for=unknown")]);
        assert_eq!(addr.ip, ip("10.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_networks() {
        let trusted = TrustedProxies::parse("127.0.0.1").expect("valid");
        assert!(trusted.contains(ip("::ffff:127.0.0.1")));
        assert!(TrustedProxies::parse("10.0.0.0/8, nope").is_err());
        assert!(TrustedProxies::parse("10.0.0.0/8, ::/0")
            .expect("valid")
            .trusts_everyone());
        assert!(!TrustedProxies::parse("10.0.0.0/8")
            .expect("valid")
            .trusts_everyone());
    }
}
