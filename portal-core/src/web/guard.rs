//! Checks at the edge, once for every route: same-origin for state-changing requests,
//! the client's IP behind trusted proxies, body size limits, response headers.

use std::net::IpAddr;

use super::request::Request;
use super::response::{CommonValue, Response};

/// Whether a state-changing request comes from the portal's own pages.
///
/// `Origin` when the browser sends a real one, compared exactly with the public URL's
/// origin. Browsers send `Origin: null` for a form posted from a page whose referrer
/// policy is `no-referrer` (every portal page), so `null` is no answer either way: then
/// `Sec-Fetch-Site`, which the referrer policy does not touch, must say `same-origin`.
/// A request with neither header is not from a browser page (curl, a server-side
/// client): no other site can make a browser send it, so it passes; the session's CSRF
/// token still guards authenticated requests.
pub(crate) fn same_origin(req: &Request, public_origin: &str) -> bool {
    if !req.is_state_changing() {
        return true;
    }
    let origin = req.header_value("origin");
    if let Some(origin) = origin.filter(|o| *o != "null") {
        return origin.eq_ignore_ascii_case(public_origin);
    }
    match req.header_value("sec-fetch-site") {
        Some(site) => site.eq_ignore_ascii_case("same-origin"),
        // `Origin: null` without fetch metadata: an opaque origin (a sandboxed frame,
        // a data: page) in an old browser; nothing vouches for it.
        None => origin.is_none(),
    }
}

/// Proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// A proxy entry that is not `ip` or `ip/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a trusted proxy is an IP address or a CIDR block")]
pub struct ProxyParseError;

impl TrustedProxies {
    /// None: the socket's peer is the client (the default).
    #[must_use]
    pub fn none() -> Self {
        TrustedProxies::default()
    }

    /// Parses a comma-separated list of addresses and CIDR blocks, e.g.
    /// `10.0.0.0/8, 127.0.0.1, ::1`. An IPv4-mapped block (`::ffff:10.0.0.0/104`) is
    /// the IPv4 block it names; one with a prefix under /96 is refused.
    pub fn parse(list: &str) -> Result<Self, ProxyParseError> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_block)
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` (in canonical form: a peer on a dual-stack socket appears as an
    /// IPv4-mapped IPv6 address) is a trusted proxy.
    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, prefix)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }

    /// The client's address, in canonical form (IPv4-mapped addresses as IPv4): the
    /// socket peer, unless the peer is a trusted proxy; then `X-Forwarded-For` is read
    /// from the right, hop by hop, and the first address that is not a trusted proxy is
    /// the client. Everything left of it is whatever the client chose to send, so the
    /// walk also stops at the first entry that is not an address (the last trusted hop
    /// is then the client): an entry the client wrote must never hide the ones the
    /// proxies appended after it.
    #[must_use]
    pub fn client_ip(&self, req: &Request) -> Option<IpAddr> {
        let mut client = req.peer?.to_canonical();
        if !self.contains(client) {
            return Some(client);
        }
        let values: Vec<&str> = req.header_values("x-forwarded-for").collect();
        for entry in values.iter().rev().flat_map(|v| v.rsplit(',')) {
            let Some(ip) = forwarded_address(entry) else {
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// One trusted proxy entry: an address (a block of one) or `ip/prefix`.
fn parse_block(entry: &str) -> Result<(IpAddr, u8), ProxyParseError> {
    let (ip, prefix) = match entry.split_once('/') {
        Some((ip, prefix)) => (ip, Some(prefix)),
        None => (entry, None),
    };
    let ip: IpAddr = ip.parse().map_err(|_| ProxyParseError)?;
    let max: u8 = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.parse().map_err(|_| ProxyParseError)?,
        None => max,
    };
    if prefix > max {
        return Err(ProxyParseError);
    }
    match ip {
        // Addresses are compared in canonical form, so an IPv4-mapped block is kept as
        // the IPv4 block it names: `::ffff:10.0.0.0/104` is `10.0.0.0/8`, not a byte
        // more (a prefix converted wrongly, e.g. to `/1`, would let half the IPv4
        // internet choose its address in `X-Forwarded-For`). A prefix under /96 spans
        // more than the mapped range, so no IPv4 block is meant: refused, never a
        // subtraction that wraps.
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => prefix
                .checked_sub(96)
                .map(|prefix| (IpAddr::V4(v4), prefix))
                .ok_or(ProxyParseError),
            None => Ok((ip, prefix)),
        },
        IpAddr::V4(_) => Ok((ip, prefix)),
    }
}

/// One `X-Forwarded-For` entry: an address, or an address with a port as some proxies
/// write it (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

/// Largest bodies accepted, by kind. Larger ones get 413 and change nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// Form posts. Default 64 KiB.
    pub form: usize,
    /// JSON. Default 1 MiB.
    pub json: usize,
    /// A whole `multipart/form-data` request to an upload route, read as a stream
    /// (never held in memory). Default 251 MiB: ten files of 25 MiB, and 1 MiB for
    /// the parts' headers and text fields.
    pub upload: u64,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            form: 64 * 1024,
            json: 1024 * 1024,
            upload: 10 * 25 * 1024 * 1024 + 1024 * 1024,
        }
    }
}

/// The constant headers of a host's response that used the session (see
/// [`crate::web::PortalWeb::session_headers`]): `Cache-Control: no-store`,
/// `Referrer-Policy`, `nosniff`, no framing, and HSTS over https. The only CSP
/// directive is `frame-ancestors 'none'`: adapters append it beside the host's own
/// policy, which browsers intersect with it, so it never loosens nor breaks the host's
/// page. Constant, so that adapters can convert them once.
#[must_use]
pub fn host_security_headers(https: bool) -> &'static [(&'static str, CommonValue)] {
    // HSTS last: plain http takes all but it.
    const HEADERS: [(&str, CommonValue); 6] = [
        ("cache-control", CommonValue::NoStore),
        ("referrer-policy", CommonValue::NoReferrer),
        ("x-content-type-options", CommonValue::Nosniff),
        ("x-frame-options", CommonValue::Deny),
        ("content-security-policy", CommonValue::FrameAncestorsCsp),
        ("strict-transport-security", CommonValue::Hsts),
    ];
    if https {
        &HEADERS
    } else {
        &HEADERS[..HEADERS.len() - 1]
    }
}

/// Headers every portal response carries. `no_store` for anything with a token or
/// portal data (every dynamic response); `hsts` when the public URL is https.
pub(crate) fn apply_security_headers(resp: &mut Response, no_store: bool, hsts: bool) {
    let page = resp
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    resp.set_default_header("x-content-type-options", CommonValue::Nosniff);
    resp.set_default_header("referrer-policy", CommonValue::NoReferrer);
    if page {
        resp.set_default_header("x-frame-options", CommonValue::Deny);
    }
    resp.set_default_header(
        "content-security-policy",
        if page {
            CommonValue::PageCsp
        } else {
            CommonValue::DataCsp
        },
    );
    if no_store {
        resp.set_default_header("cache-control", CommonValue::NoStore);
    }
    if hsts {
        resp.set_default_header("strict-transport-security", CommonValue::Hsts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::response::{DATA_CSP, PAGE_CSP};

    #[test]
    fn origin_rules() {
        let o = "https://portal.acme.example";
        let post = |h: &[(&str, &str)]| {
            h.iter()
                .fold(Request::new("POST", "/x"), |r, (n, v)| r.header(n, v))
        };
        assert!(same_origin(&post(&[("origin", o)]), o));
        assert!(same_origin(
            &post(&[("origin", "HTTPS://PORTAL.ACME.EXAMPLE")]),
            o
        ));
        assert!(!same_origin(
            &post(&[("origin", "https://evil.example")]),
            o
        ));
        assert!(!same_origin(&post(&[("origin", "null")]), o));
        // What browsers send for a form posted from a no-referrer page of the portal:
        assert!(same_origin(
            &post(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            o
        ));
        assert!(!same_origin(
            &post(&[("origin", "null"), ("sec-fetch-site", "cross-site")]),
            o
        ));
        assert!(!same_origin(
            &post(&[("origin", "https://portal.acme.example.evil.example")]),
            o
        ));
        assert!(same_origin(&post(&[("sec-fetch-site", "same-origin")]), o));
        assert!(!same_origin(&post(&[("sec-fetch-site", "cross-site")]), o));
        assert!(!same_origin(&post(&[("sec-fetch-site", "same-site")]), o));
        assert!(!same_origin(
            &post(&[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin")
            ]),
            o
        ));
        assert!(same_origin(&post(&[]), o), "not a browser");
        assert!(same_origin(
            &Request::new("GET", "/").header("origin", "https://evil.example"),
            o
        ));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        let mut r =
            Request::new("GET", "/").header("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.1.1");
        r.peer = Some("10.0.0.5".parse().unwrap());
        assert_eq!(proxies.client_ip(&r), Some("203.0.113.9".parse().unwrap()));
        r.peer = Some("198.51.100.1".parse().unwrap());
        assert_eq!(
            proxies.client_ip(&r),
            Some("198.51.100.1".parse().unwrap()),
            "untrusted peer"
        );
        assert_eq!(TrustedProxies::none().client_ip(&r), r.peer);
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("example.com").is_err());
    }

    fn forwarded(proxies: &str, peer: &str, headers: &[&str]) -> Option<IpAddr> {
        let mut r = Request::new("GET", "/");
        for h in headers {
            r = r.header("x-forwarded-for", h);
        }
        r.peer = Some(peer.parse().unwrap());
        TrustedProxies::parse(proxies).unwrap().client_ip(&r)
    }

    #[test]
    fn an_entry_the_client_wrote_never_hides_the_ones_proxies_appended() {
        let client = Some("203.0.113.9".parse().unwrap());
        for spoof in [
            "6.6.6.6, x, 203.0.113.9",
            "6.6.6.6, , 203.0.113.9",
            "6.6.6.6,x,203.0.113.9:4711",
            "unknown, 203.0.113.9",
        ] {
            assert_eq!(
                forwarded("10.0.0.0/8", "10.0.0.5", &[spoof]),
                client,
                "{spoof}"
            );
        }
        assert_eq!(
            forwarded("10.0.0.0/8", "10.0.0.5", &["6.6.6.6, x", "203.0.113.9"]),
            client,
            "the client's own header line, then the proxy's"
        );
        assert_eq!(
            forwarded("10.0.0.0/8", "10.0.0.5", &["6.6.6.6, x, 10.0.0.7"]),
            Some("10.0.0.7".parse().unwrap()),
            "garbage behind a trusted hop: that hop is the client"
        );
        assert_eq!(
            forwarded("10.0.0.0/8", "10.0.0.5", &["[2001:db8::7]:4711, 10.0.0.6"]),
            Some("2001:db8::7".parse().unwrap())
        );
    }

    #[test]
    fn ipv4_mapped_addresses_are_their_ipv4_selves() {
        let client = Some("203.0.113.9".parse().unwrap());
        // A dual-stack socket reports an IPv4 proxy as an IPv4-mapped IPv6 address.
        assert_eq!(
            forwarded("10.0.0.0/8", "::ffff:10.0.0.5", &["203.0.113.9"]),
            client
        );
        assert_eq!(
            forwarded("::ffff:10.0.0.0/104", "10.0.0.5", &["203.0.113.9"]),
            client
        );
        assert_eq!(
            forwarded("127.0.0.1", "::ffff:10.0.0.5", &["203.0.113.9"]),
            Some("10.0.0.5".parse().unwrap()),
            "an untrusted peer, in canonical form"
        );
        assert_eq!(
            forwarded("10.0.0.0/8", "10.0.0.5", &["::ffff:203.0.113.9"]),
            client
        );
    }

    #[test]
    fn ipv6_proxies_are_trusted_within_their_block_only() {
        // A mask of the wrong width trusts every IPv6 peer: any IPv6 client could then
        // choose its address in X-Forwarded-For, escape the per-IP throttle and write
        // the address of its choice into the audit log.
        let proxies = "2001:db8::/32, ::1";
        let client = Some("203.0.113.9".parse().unwrap());
        for trusted in ["2001:db8::7", "2001:db8:ffff:ffff::1", "::1"] {
            assert_eq!(
                forwarded(proxies, trusted, &["203.0.113.9"]),
                client,
                "{trusted}"
            );
        }
        for untrusted in ["2001:db9::7", "2001:db7:ffff::1", "::", "::2", "fe80::1"] {
            assert_eq!(
                forwarded(proxies, untrusted, &["203.0.113.9"]),
                Some(untrusted.parse().unwrap()),
                "{untrusted}"
            );
        }
        assert_eq!(
            forwarded(proxies, "::ffff:0.0.0.1", &["203.0.113.9"]),
            Some("0.0.0.1".parse().unwrap()),
            "an IPv6 block holds no IPv4 peer"
        );
        assert_eq!(
            forwarded("::/0", "2001:db8::7", &["203.0.113.9"]),
            client,
            "a /0 block holds every IPv6 peer"
        );
    }

    #[test]
    fn an_ipv4_mapped_block_is_the_ipv4_block_it_names() {
        let parse = |list| TrustedProxies::parse(list);
        assert_eq!(parse("::ffff:10.0.0.0/104"), parse("10.0.0.0/8"));
        assert_eq!(parse("::ffff:10.0.0.5"), parse("10.0.0.5"));
        assert_eq!(parse("::ffff:0.0.0.0/96"), parse("0.0.0.0/0"));
        assert_eq!(
            forwarded("::ffff:10.0.0.0/104", "11.0.0.1", &["203.0.113.9"]),
            Some("11.0.0.1".parse().unwrap()),
            "outside 10.0.0.0/8"
        );
        // Under /96 the block spans more than the mapped addresses: no IPv4 block.
        for under in [
            "::ffff:10.0.0.0/95",
            "::ffff:10.0.0.0/90",
            "::ffff:0.0.0.0/0",
        ] {
            assert_eq!(parse(under), Err(ProxyParseError), "{under}");
        }
    }

    #[test]
    fn proxy_lists_are_parsed_strictly() {
        assert_eq!(
            TrustedProxies::parse(" 10.0.0.0/8 ,, ::1 "),
            Ok(TrustedProxies(vec![
                ("10.0.0.0".parse().unwrap(), 8),
                ("::1".parse().unwrap(), 128)
            ]))
        );
        assert_eq!(TrustedProxies::parse(""), Ok(TrustedProxies::none()));
        for bad in [
            "10.0.0.0/",
            "10.0.0.0/-1",
            "::1/129",
            "10.0.0.0/8/8",
            "10.0.0.0/x",
        ] {
            assert_eq!(TrustedProxies::parse(bad), Err(ProxyParseError), "{bad}");
        }
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/32"),
            TrustedProxies::parse("10.0.0.0")
        );
    }

    #[test]
    fn hsts_goes_with_https_only() {
        use CommonValue::*;
        let common = [
            ("cache-control", NoStore),
            ("referrer-policy", NoReferrer),
            ("x-content-type-options", Nosniff),
            ("x-frame-options", Deny),
            ("content-security-policy", FrameAncestorsCsp),
        ];
        assert_eq!(host_security_headers(false), common);
        assert_eq!(
            host_security_headers(true),
            [&common[..], &[("strict-transport-security", Hsts)]].concat()
        );
    }

    #[test]
    fn security_headers_are_added_where_missing() {
        let headers = |resp: &Response| -> Vec<(&str, String)> {
            let mut h: Vec<_> = resp
                .headers
                .iter()
                .map(|(n, v)| (*n, v.as_str().to_owned()))
                .collect();
            h.sort();
            h
        };
        let mut page = Response::html(200, String::new());
        apply_security_headers(&mut page, true, true);
        assert_eq!(
            headers(&page),
            [
                ("cache-control", "no-store".to_owned()),
                ("content-security-policy", PAGE_CSP.to_owned()),
                ("content-type", "text/html; charset=utf-8".to_owned()),
                ("referrer-policy", "no-referrer".to_owned()),
                ("strict-transport-security", "max-age=31536000".to_owned()),
                ("x-content-type-options", "nosniff".to_owned()),
                ("x-frame-options", "DENY".to_owned()),
            ]
        );
        // Plain http (local development): no HSTS, which would pin the host, localhost
        // included, to https for a year. Data: the data CSP and no framing header. A
        // header the response set already is kept.
        let mut data = Response::json(200, &()).with_header("cache-control", "max-age=60");
        apply_security_headers(&mut data, true, false);
        assert_eq!(
            headers(&data),
            [
                ("cache-control", "max-age=60".to_owned()),
                ("content-security-policy", DATA_CSP.to_owned()),
                ("content-type", "application/json".to_owned()),
                ("referrer-policy", "no-referrer".to_owned()),
                ("x-content-type-options", "nosniff".to_owned()),
            ]
        );
        let mut asset = Response::new(200);
        apply_security_headers(&mut asset, false, false);
        assert_eq!(asset.header("cache-control"), None, "cacheable");
    }
}
