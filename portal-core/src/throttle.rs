//! Request throttling: login emails per canonical address, login requests per IP.
//!
//! Counters live in the store, so they hold across application instances. A throttled
//! request gets the same answer as any other; it just does nothing.

use std::net::IpAddr;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::email::CanonicalEmail;
use crate::failure::stand_in;
use crate::id::{ContactId, FirmId};
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
    address_key_of(stand_in(email))
}

/// The address key of a subject's address, from its [`stand_in`]: a code resend finds
/// its challenge's subject, not the address, and must count under the same key for
/// an address nobody has as for a contact's.
#[must_use]
pub fn address_key_of(stand_in: ContactId) -> TokenDigest {
    let mut data = *b"address\0________________";
    data[8..].copy_from_slice(stand_in.as_bytes());
    TokenDigest::of(&data)
}

/// The block one client counts in: an IPv4 address, or the /64 of an IPv6 one, the
/// block one subscriber usually holds, so rotating addresses inside it gains nothing.
#[must_use]
pub fn ip_block(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The key under which login requests from one IP block ([`ip_block`]) are counted.
#[must_use]
pub fn ip_key(ip: IpAddr) -> TokenDigest {
    TokenDigest::of(format!("ip\0{}", ip_block(ip)).as_bytes())
}

/// Requests of one firm refused by the per-IP limit, counted per IP block and fixed
/// window, so that the audit log holds one entry per block and window (with the count)
/// rather than one per refused request: a flood cannot grow the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Whose audit log the summary goes to.
    pub firm_id: FirmId,
    /// The throttle key ([`ip_key`]).
    pub key: TokenDigest,
    /// The IP block, as [`ip_block`] writes it.
    pub block: String,
    /// The window's start (a multiple of its length since the epoch).
    pub window_start: Timestamp,
    /// The window's end: its summary is written after it.
    pub window_end: Timestamp,
}

impl Refusal {
    /// The refusal of a request from `ip` to `firm` at `now`, in windows of `window`.
    #[must_use]
    pub fn new(firm_id: FirmId, ip: IpAddr, now: Timestamp, window: Duration) -> Self {
        let length = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
        let start = now.unix_millis() - now.unix_millis().rem_euclid(length);
        Refusal {
            firm_id,
            key: ip_key(ip),
            block: ip_block(ip),
            window_start: Timestamp::from_unix_millis(start),
            window_end: Timestamp::from_unix_millis(start.saturating_add(length)),
        }
    }
}

/// A closed window's refusals, for its audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusalCount {
    /// Which block, firm and window.
    pub refusal: Refusal,
    /// How many requests were refused in it.
    pub refused: u64,
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
        assert_eq!(ip_block(a), "2001:db8:1:2::/64");
    }

    #[test]
    fn an_address_key_is_its_stand_ins() {
        let a = EmailAddress::parse("jane@example.com").unwrap();
        assert_eq!(
            address_key(a.canonical()),
            address_key_of(stand_in(a.canonical()))
        );
        let b = EmailAddress::parse("john@example.com").unwrap();
        assert_ne!(address_key(a.canonical()), address_key(b.canonical()));
    }

    #[test]
    fn refusals_fall_in_fixed_windows() {
        let firm = FirmId::from_bytes([1; 16]);
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let window = Duration::from_secs(900);
        let at = |s: i64| Timestamp::from_unix_millis(s * 1000);
        let r = Refusal::new(firm, ip, at(1_000_100), window);
        assert_eq!(r.window_start, at(999_900));
        assert_eq!(r.window_end, at(1_000_800));
        assert_eq!(Refusal::new(firm, ip, at(1_000_799), window), r);
        assert_ne!(
            Refusal::new(firm, ip, at(1_000_800), window).window_start,
            r.window_start
        );
        assert_eq!(r.block, "203.0.113.9");
    }
}
