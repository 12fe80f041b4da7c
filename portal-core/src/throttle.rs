//! Request throttling: login emails per canonical address, login requests per IP.
//!
//! Counters live in the store, so they hold across application instances. A throttled
//! request gets the same answer as any other; it just does nothing.

use std::net::IpAddr;

use crate::email::CanonicalEmail;
use crate::token::TokenDigest;

/// Whether an event is within its rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Within the limit; the event was recorded.
    Allowed,
    /// Over the limit; nothing was recorded.
    Throttled,
}

/// The key under which login emails to one address are counted. Stored as a digest so
/// that throttle tables hold no addresses.
#[must_use]
pub fn address_key(email: &CanonicalEmail) -> TokenDigest {
    TokenDigest::of(format!("address\0{}", email.as_str()).as_bytes())
}

/// The key under which login requests from one IP are counted. IPv6 addresses count
/// per /64, the block one subscriber usually holds, so rotating addresses inside it
/// gains nothing.
#[must_use]
pub fn ip_key(ip: IpAddr) -> TokenDigest {
    let text = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    };
    TokenDigest::of(format!("ip\0{text}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::EmailAddress;

    #[test]
    fn address_variants_share_one_key() {
        let a = EmailAddress::parse("Jane@Example.com").unwrap();
        let b = EmailAddress::parse(" jane@example.COM ").unwrap();
        assert_eq!(address_key(a.canonical()), address_key(b.canonical()));
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(ip_key(mapped), ip_key("192.0.2.1".parse().unwrap()));
    }
}
