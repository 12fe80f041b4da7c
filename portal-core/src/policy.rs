//! The rules' numbers, per firm. Every default is listed, with its
//! source, in `SECURITY.md`.

use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// The security policy of one firm.
///
/// Start from [`Policy::default`] and change fields; [`Policy::validate`] (called by
/// [`crate::PortalBuilder`]) refuses values outside the limits Portal allows.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Policy {
    /// How long a magic link stays valid. Default 15 minutes.
    pub magic_link_ttl: Duration,
    /// What a link redemption requires of the browser. Default
    /// [`LinkRedemption::AnyBrowser`].
    pub link_redemption: LinkRedemption,
    /// How long an email code stays valid. Default 10 minutes, at most 30.
    pub code_ttl: Duration,
    /// Codes sent per login attempt (the first and the resends). Default 5.
    pub codes_per_attempt: u32,
    /// Wrong guesses a code survives; the next one is refused and the code is dead. Default 5.
    pub guesses_per_code: u32,
    /// Back-off for a contact's consecutive failed codes and passwords.
    pub failure_backoff: FailureBackoff,
    /// Login emails per canonical address. Default 5 per 15 minutes.
    pub login_emails_per_address: RateLimit,
    /// Login requests per IP address. Default 100 per 15 minutes (offices share
    /// addresses behind NAT).
    pub login_requests_per_ip: RateLimit,
    /// A session unused this long is over. Default 24 hours.
    pub session_idle_timeout: Duration,
    /// A session this old is over however active it is. Default 30 days.
    pub session_absolute_lifetime: Duration,
    /// A session's renewal is written at most this often. Default 15 minutes.
    pub session_renewal_interval: Duration,
    /// Password rules and hashing cost.
    pub password: PasswordPolicy,
    /// How long a password set/reset link stays valid. Default 30 minutes.
    pub password_link_ttl: Duration,
    /// How long a personal portal link identifies its contact. Default 90 days. It
    /// never authenticates, so its lifetime only bounds how long old emails work.
    pub personal_link_ttl: Duration,
    /// How long the login-binding cookie set on the browser that asked for a link
    /// lives. Default 15 minutes, the link's own lifetime.
    pub binding_cookie_ttl: Duration,
    /// How long a staff preview link stays valid. Default 10 minutes, at most one hour:
    /// it is a single-use secret that opens a contact's portal to whoever holds it.
    pub preview_link_ttl: Duration,
    /// How long a staff preview session lasts. Default 30 minutes, at most 8 hours. It
    /// is never renewed: activity does not extend it.
    pub preview_session_lifetime: Duration,
    /// How much a client may upload.
    pub files: FileLimits,
    /// Reveals and retention of handed-over credentials.
    pub credentials: CredentialPolicy,
    /// How many comments and questions one contact may write in a window (a sliding
    /// one), so that one contact cannot flood the firm's staff or hold the firm's audit
    /// log busy; `None` for no limit. Default 30 per 10 minutes.
    pub messages_per_contact: Option<RateLimit>,
    /// When clients hear of new tasks and are reminded of open ones.
    pub notifications: NotificationPolicy,
}

/// When a firm's clients hear of their tasks.
///
/// A task for the client is announced once the grace period after its creation has
/// passed, if it is still open and still the client's by then (a task withdrawn,
/// completed or handed to the firm inside the window is never announced; edits inside
/// it send nothing of their own): every contact holding a grant to see the client's
/// tasks gets one email listing the client's tasks announced together. An announced
/// task still open is then reminded of up to `reminders` times, `remind_every` apart,
/// at the firm's local working hours; reminders stop when it is completed or withdrawn,
/// and reach only active contacts whose reminders are not paused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotificationPolicy {
    /// The grace period before a new task is announced. Default 5 minutes.
    pub announce_after: Duration,
    /// Reminders per open task; 0 for none. Default 3.
    pub reminders: u32,
    /// From the announcement to the first reminder, and between reminders. Default 3
    /// days; any positive span is allowed (short ones are for tests).
    pub remind_every: Duration,
    /// The firm's time zone. Default UTC.
    pub time_zone: crate::local_time::TimeZone,
    /// The local hours in which reminders are sent: from the start of the first to
    /// the start of the last. Default 9 to 17.
    pub sending_hours: std::ops::Range<u8>,
    /// Whether reminders go out on Saturdays and Sundays. Default no.
    pub weekends: bool,
    /// How long client activity waits before staff hear of it, so that a change undone
    /// within it (a task completed then reopened, an item checked then unchecked) is
    /// never reported. Default 10 minutes.
    pub staff_window: Duration,
    /// The local hour from which staff who chose a daily digest get it, as soon as it
    /// has something in it. Default 8.
    pub digest_hour: u8,
    /// Whether a contact with a phone number also gets a short text message with each
    /// announcement and reminder. Default off: the host's delivery must send texts
    /// (the SMTP delivery refuses them, and the refusal is recorded as a failure).
    pub texts: bool,
}

impl Default for NotificationPolicy {
    fn default() -> Self {
        NotificationPolicy {
            announce_after: 5 * MINUTE,
            reminders: 3,
            remind_every: 3 * DAY,
            time_zone: crate::local_time::TimeZone::utc(),
            sending_hours: 9..17,
            weekends: false,
            staff_window: 10 * MINUTE,
            digest_hour: 8,
            texts: false,
        }
    }
}

/// How staff read handed-over credentials, and how long they are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialPolicy {
    /// The most credentials one staff member may reveal in an hour (a sliding window),
    /// so that a stolen staff session cannot empty the vault in one go; `None` for no
    /// limit. Default 20.
    pub reveals_per_staff_hour: Option<u32>,
    /// How long after its task was closed (completed or withdrawn) a credential's
    /// values are deleted by maintenance; `None` keeps them until staff purge them.
    /// Default `None`: when the firm is done with a credential depends on the firm.
    pub purge_after_closed: Option<Duration>,
}

impl Default for CredentialPolicy {
    fn default() -> Self {
        CredentialPolicy {
            reveals_per_staff_hour: Some(20),
            purge_after_closed: None,
        }
    }
}

/// Limits on what a firm's clients upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimits {
    /// The largest file, in bytes; one byte more is refused (HTTP 413) and nothing is
    /// kept. Default 25 MiB.
    pub max_file_bytes: u64,
    /// The most files in one upload. Default 10.
    pub max_files_per_upload: usize,
    /// The most bytes of readable files one client may have, all its contacts' uploads
    /// together. Default 5 GiB.
    pub max_client_bytes: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits {
            max_file_bytes: 25 * MIB,
            max_files_per_upload: 10,
            max_client_bytes: 5 * 1024 * MIB,
        }
    }
}

const MIB: u64 = 1024 * 1024;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            magic_link_ttl: 15 * MINUTE,
            link_redemption: LinkRedemption::AnyBrowser,
            code_ttl: 10 * MINUTE,
            codes_per_attempt: 5,
            guesses_per_code: 5,
            failure_backoff: FailureBackoff::default(),
            login_emails_per_address: RateLimit::new(5, 15 * MINUTE),
            login_requests_per_ip: RateLimit::new(100, 15 * MINUTE),
            session_idle_timeout: 24 * HOUR,
            session_absolute_lifetime: 30 * DAY,
            session_renewal_interval: 15 * MINUTE,
            password: PasswordPolicy::default(),
            password_link_ttl: 30 * MINUTE,
            personal_link_ttl: 90 * DAY,
            binding_cookie_ttl: 15 * MINUTE,
            preview_link_ttl: 10 * MINUTE,
            preview_session_lifetime: 30 * MINUTE,
            files: FileLimits::default(),
            credentials: CredentialPolicy::default(),
            messages_per_contact: Some(RateLimit::new(30, Duration::from_secs(600))),
            notifications: NotificationPolicy::default(),
        }
    }
}

/// A policy value outside what Portal allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy: {0}")]
pub struct PolicyError(pub &'static str);

impl Policy {
    /// Checks the limits: nothing zero that must not be, codes live at most 30 minutes,
    /// renewal happens before idle expiry, argon2 no cheaper than OWASP's minimum.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let n = &self.notifications;
        let checks: [(bool, &'static str); 18] = [
            (
                n.digest_hour < 24 && n.staff_window <= DAY,
                "notifications.digest_hour must be 0 to 23, staff_window at most a day",
            ),
            (
                !n.remind_every.is_zero(),
                "notifications.remind_every must be positive",
            ),
            (
                n.sending_hours.start < n.sending_hours.end && n.sending_hours.end <= 24,
                "notifications.sending_hours must be a non-empty range of hours within 0..24",
            ),
            (
                !self.magic_link_ttl.is_zero(),
                "magic_link_ttl must be positive",
            ),
            (
                !self.code_ttl.is_zero() && self.code_ttl <= 30 * MINUTE,
                "code_ttl must be between 1 second and 30 minutes",
            ),
            (
                self.codes_per_attempt >= 1,
                "codes_per_attempt must be at least 1",
            ),
            (
                self.guesses_per_code >= 1,
                "guesses_per_code must be at least 1",
            ),
            (
                self.session_renewal_interval < self.session_idle_timeout,
                "session_renewal_interval must be shorter than session_idle_timeout",
            ),
            (
                self.session_idle_timeout <= self.session_absolute_lifetime,
                "session_idle_timeout must not exceed session_absolute_lifetime",
            ),
            (
                self.password.min_chars >= 8 && self.password.min_chars <= self.password.max_chars,
                "password length limits are inconsistent (minimum at least 8)",
            ),
            (
                self.password.hashing.memory_kib >= 7_168
                    && u64::from(self.password.hashing.memory_kib)
                        * u64::from(self.password.hashing.iterations)
                        >= 35_840,
                "argon2id parameters below OWASP's minimum (m >= 7168 KiB, m * t >= 35840)",
            ),
            (
                self.login_emails_per_address.count >= 1 && self.login_requests_per_ip.count >= 1,
                "rate limits must allow at least one request",
            ),
            (
                !self.password_link_ttl.is_zero(),
                "password_link_ttl must be positive",
            ),
            (
                !self.preview_link_ttl.is_zero() && self.preview_link_ttl <= HOUR,
                "preview_link_ttl must be between 1 second and 1 hour",
            ),
            (
                !self.preview_session_lifetime.is_zero()
                    && self.preview_session_lifetime <= 8 * HOUR,
                "preview_session_lifetime must be between 1 second and 8 hours",
            ),
            (
                self.files.max_file_bytes >= 1
                    && self.files.max_files_per_upload >= 1
                    && self.files.max_client_bytes >= self.files.max_file_bytes,
                "file limits must allow one file, and a client at least one largest file",
            ),
            (
                self.credentials.reveals_per_staff_hour != Some(0),
                "credentials.reveals_per_staff_hour must allow one reveal (None for no limit)",
            ),
            (
                self.messages_per_contact
                    .is_none_or(|l| l.count > 0 && !l.window.is_zero()),
                "messages_per_contact must allow one message in a window longer than zero",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, why)) => Err(PolicyError(why)),
            None => Ok(()),
        }
    }
}

/// What redeeming a magic link requires of the browser that posts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LinkRedemption {
    /// Any browser may redeem the link; whether it is the one that asked for it is
    /// recorded in the audit log. The default: a link opened on another device
    /// (phone mail app, desktop browser) just works.
    #[default]
    AnyBrowser,
    /// A POST without the login-binding cookie of the browser that asked for the link
    /// must also give the 6-digit code of the same email. Defeats mail scanners that
    /// follow links and submit forms, at the cost of one more step on another device.
    SameBrowserOrCode,
}

/// At most `count` events per sliding `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Events allowed in any window.
    pub count: u32,
    /// The window's length.
    pub window: Duration,
}

impl RateLimit {
    /// `count` events per `window`.
    #[must_use]
    pub const fn new(count: u32, window: Duration) -> Self {
        RateLimit { count, window }
    }
}

/// Exponential back-off once a contact has failed too many codes and passwords in a
/// row: after `after` consecutive failures, each further try waits
/// `base * 2^(failures - after)` (at most `max`) from the last failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureBackoff {
    /// Consecutive failures tolerated before back-off starts. Default 20.
    pub after: u32,
    /// The first wait. Default 30 seconds.
    pub base: Duration,
    /// The longest wait. Default 24 hours.
    pub max: Duration,
}

impl Default for FailureBackoff {
    fn default() -> Self {
        FailureBackoff {
            after: 20,
            base: Duration::from_secs(30),
            max: DAY,
        }
    }
}

impl FailureBackoff {
    /// The wait imposed after `consecutive` failures (zero below the threshold).
    #[must_use]
    pub fn wait_after(&self, consecutive: u32) -> Duration {
        if consecutive < self.after {
            return Duration::ZERO;
        }
        let doublings = (consecutive - self.after).min(40);
        self.base
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.max)
            .min(self.max)
    }
}

/// Password rules (NIST SP 800-63B-4 for a single-factor password) and argon2id cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode code points after NFKC). Default 15.
    pub min_chars: usize,
    /// Most characters. Default 128.
    pub max_chars: usize,
    /// argon2id parameters, also used for email codes.
    pub hashing: Argon2Params,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_chars: 15,
            max_chars: 128,
            hashing: Argon2Params::default(),
        }
    }
}

/// argon2id parameters. Default m = 19456 KiB, t = 2, p = 1 (OWASP Password Storage
/// Cheat Sheet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_specs_and_valid() {
        let p = Policy::default();
        assert_eq!(p.magic_link_ttl, 15 * MINUTE);
        assert_eq!(p.code_ttl, 10 * MINUTE);
        assert_eq!((p.codes_per_attempt, p.guesses_per_code), (5, 5));
        assert_eq!(p.session_idle_timeout, 24 * HOUR);
        assert_eq!(p.session_absolute_lifetime, 30 * DAY);
        assert_eq!(
            p.password.hashing,
            Argon2Params {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1
            }
        );
        assert_eq!(p.link_redemption, LinkRedemption::AnyBrowser);
        assert_eq!(p.preview_link_ttl, 10 * MINUTE);
        assert_eq!(p.preview_session_lifetime, 30 * MINUTE);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn code_lifetime_is_capped_at_30_minutes() {
        let mut p = Policy::default();
        p.code_ttl = 30 * MINUTE;
        assert!(p.validate().is_ok());
        p.code_ttl = 31 * MINUTE;
        assert!(p.validate().is_err());
    }

    #[test]
    fn preview_lifetimes_are_short_and_capped() {
        let mut p = Policy::default();
        p.preview_link_ttl = 2 * HOUR;
        assert!(p.validate().is_err());
        p.preview_link_ttl = HOUR;
        p.preview_session_lifetime = 9 * HOUR;
        assert!(p.validate().is_err());
        p.preview_session_lifetime = Duration::ZERO;
        assert!(p.validate().is_err());
    }

    #[test]
    fn backoff_doubles_from_the_threshold_and_caps() {
        let b = FailureBackoff::default();
        assert_eq!(b.wait_after(19), Duration::ZERO);
        assert_eq!(b.wait_after(20), Duration::from_secs(30));
        assert_eq!(b.wait_after(21), Duration::from_secs(60));
        assert_eq!(b.wait_after(25), Duration::from_secs(960));
        assert_eq!(b.wait_after(1000), DAY);
    }
}
