//! The audit log: append-only, one hash chain per firm.
//!
//! Every entry's hash covers its sequence number, its fields and the previous entry's
//! hash, so that altering or removing an entry (or reordering them) breaks the chain at
//! that point; the firm's chain head, kept apart from the entries, also exposes a
//! removed tail. [`verify_chain`] names the first broken entry.

use std::fmt;
use std::net::IpAddr;

use sha2::{Digest as _, Sha256};

use crate::clock::Timestamp;
use crate::id::{ClientId, ContactId, FirmId, StaffId, TaskId};

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A contact, logged in or identifying itself.
    Contact(ContactId),
    /// A member of the firm's staff, as authenticated by the host.
    Staff(StaffId),
    /// Portal itself, or an anonymous request (e.g. a refused login).
    System,
}

impl Actor {
    /// Stable text form: `contact:<id>`, `staff:<id>`, `system`.
    #[must_use]
    pub fn to_stored(&self) -> String {
        match self {
            Actor::Contact(id) => format!("contact:{id}"),
            Actor::Staff(id) => format!("staff:{id}"),
            Actor::System => "system".to_owned(),
        }
    }

    /// Parses [`Actor::to_stored`]'s form.
    #[must_use]
    pub fn from_stored(s: &str) -> Option<Actor> {
        if s == "system" {
            return Some(Actor::System);
        }
        if let Some(id) = s.strip_prefix("contact:") {
            return id.parse().ok().map(Actor::Contact);
        }
        s.strip_prefix("staff:")
            .and_then(|id| StaffId::new(id).ok())
            .map(Actor::Staff)
    }
}

impl serde::Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_stored())
    }
}

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What happened.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            /// Stable dotted name, e.g. `link.redeemed`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $name,)* }
            }

            /// From the stored name.
            #[must_use]
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($name => Some(AuditAction::$variant),)* _ => None }
            }
        }
    };
}

actions! {
    /// Staff invited a contact.
    Invited => "contact.invited",
    /// A magic link was issued (requested, sent by staff, or generated to copy).
    LinkIssued => "link.issued",
    /// A magic link was redeemed and a session started.
    LinkRedeemed => "link.redeemed",
    /// A magic link was refused (used, expired, superseded, unknown, or needs the code).
    LinkRefused => "link.refused",
    /// An email code was sent.
    CodeIssued => "code.issued",
    /// A wrong or dead code was typed.
    CodeFailed => "code.failed",
    /// A code was accepted and a session started.
    CodeRedeemed => "code.redeemed",
    /// A password login succeeded.
    PasswordLogin => "password.login",
    /// A password login failed.
    PasswordFailed => "password.failed",
    /// A password set/reset link was issued.
    PasswordLinkIssued => "password.link_issued",
    /// A password was set through a link; every session was revoked.
    PasswordSet => "password.set",
    /// A login attempt was refused because of the contact's failure back-off.
    LockedOut => "login.locked_out",
    /// A logged-in contact came back (at most one entry per session per renewal interval).
    Visit => "session.visit",
    /// A contact logged out.
    Logout => "session.logout",
    /// Staff revoked one session.
    SessionRevoked => "session.revoked",
    /// Staff revoked every session and outstanding link of a contact.
    SessionsRevoked => "contact.sessions_revoked",
    /// A contact switched its active client.
    ClientSwitched => "session.client_switched",
    /// Staff suspended a contact.
    ContactSuspended => "contact.suspended",
    /// Staff lifted a suspension.
    ContactReinstated => "contact.reinstated",
    /// Staff revoked a contact entirely.
    ContactRevoked => "contact.revoked",
    /// Staff paused a contact's reminders until a date (`until=`), or lifted the pause
    /// (`lifted`).
    RemindersPaused => "contact.reminders_paused",
    /// A staff member chose how to hear of client activity (`mode=`).
    StaffNotificationsSet => "staff.notifications_set",
    /// Staff set or cleared a contact's phone number (the detail says `set` or
    /// `cleared`, never the number).
    ContactPhoneChanged => "contact.phone_changed",
    /// Staff granted a client (or changed the grant's permissions).
    GrantChanged => "grant.changed",
    /// Staff removed a grant.
    GrantRemoved => "grant.removed",
    /// A personal portal link was issued.
    PersonalLinkIssued => "personal_link.issued",
    /// A personal portal link was opened.
    PersonalLinkOpened => "personal_link.opened",
    /// Requests from one IP block were refused by the per-IP limit during one window:
    /// one entry per block and window, with the count, written once the window ended.
    LoginThrottled => "login.throttled",
    /// A contact completed a task, or staff one of the firm's (the detail names it and
    /// holds the note's length).
    TaskCompleted => "task.completed",
    /// A contact made a completed task pending again, which clears its completion:
    /// this entry and the completion's keep who did what.
    TaskReopened => "task.reopened",
    /// Staff created a task (the detail names it, its client and its type).
    TaskCreated => "task.created",
    /// Staff changed a task's title, description, due date, side, phase, place or
    /// definition.
    TaskEdited => "task.edited",
    /// Staff put a client's tasks in a new order.
    TasksReordered => "task.reordered",
    /// Staff withdrew a task: it is kept, and contacts no longer see it.
    TaskWithdrawn => "task.withdrawn",
    /// Staff set a task's status (the detail names the status).
    TaskStatusSet => "task.status_set",
    /// A contact submitted what a task asks for (an answer, a form, a decision, a video
    /// watched); the first submission stands.
    TaskSubmitted => "task.submitted",
    /// A contact or staff checked an item of a checklist.
    ItemChecked => "task.item_checked",
    /// A contact or staff unchecked an item of a checklist.
    ItemUnchecked => "task.item_unchecked",
    /// Staff created a phase of a client.
    PhaseCreated => "phase.created",
    /// Staff renamed a phase.
    PhaseRenamed => "phase.renamed",
    /// Staff put a client's phases in a new order.
    PhasesReordered => "phase.reordered",
    /// Staff asked for a read-only preview of a contact's portal: a single-use link
    /// was issued to them (the detail names its digest's prefix, never the token).
    PreviewIssued => "preview.issued",
    /// A preview link was used: a read-only preview session of the contact started,
    /// for the staff member named as the actor. No login of the contact.
    PreviewStarted => "preview.started",
    /// A preview link was refused (used, expired, or the contact cannot be shown).
    PreviewRefused => "preview.refused",
    /// A contact uploaded files for a document request (the detail names the task, the
    /// upload and how many files and bytes).
    FilesUploaded => "file.uploaded",
    /// A contact withdrew an upload before it was reviewed; its files are gone.
    UploadWithdrawn => "file.upload_withdrawn",
    /// Staff approved or rejected an upload (the detail names the decision).
    UploadReviewed => "file.upload_reviewed",
    /// A contact deleted a file it dropped, before anyone at the firm downloaded it.
    DropDeleted => "file.drop_deleted",
    /// Staff published a document or report to a client.
    FilePublished => "file.published",
    /// A file was downloaded (by the contact or the staff member named as the actor):
    /// part of the access log.
    FileDownloaded => "file.downloaded",
    /// A contact handed over a credential, or replaced it (the detail names the fields
    /// filled, never a value).
    CredentialSubmitted => "credential.submitted",
    /// Staff revealed a credential (the detail names the fields and the reason given).
    CredentialRevealed => "credential.revealed",
    /// A reveal was refused: over the staff member's hourly limit, or a value that
    /// would not open (altered, or its key gone).
    CredentialRevealRefused => "credential.reveal_refused",
    /// A credential's values were deleted, by staff or when its task had been closed
    /// long enough; the record of it stays.
    CredentialPurged => "credential.purged",
    /// Staff re-sealed their firm's credentials under the vault's active key (the
    /// counts in the detail).
    VaultRotated => "credential.vault_rotated",
    /// A contact or staff commented on a task.
    CommentAdded => "comment.added",
    /// A contact asked the firm a question.
    QuestionAsked => "question.asked",
}

/// Whether it succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It did.
    Success,
    /// It was refused.
    Refused,
}

impl AuditOutcome {
    /// Stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Refused => "refused",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "success" => Some(AuditOutcome::Success),
            "refused" => Some(AuditOutcome::Refused),
            _ => None,
        }
    }
}

/// Where a request came from, as recorded in audit and access logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// The client's IP address, as the web layer determined it.
    pub ip: Option<IpAddr>,
    /// The `User-Agent`, truncated to 256 characters, control characters and line or
    /// paragraph separators removed (a log line stays one line).
    pub user_agent: Option<String>,
}

impl RequestInfo {
    /// Builds one, sanitising the user agent.
    #[must_use]
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        RequestInfo {
            ip,
            user_agent: user_agent.map(|ua| {
                ua.chars()
                    .filter(|c| crate::text::fits_one_line(*c))
                    .take(256)
                    .collect()
            }),
        }
    }
}

/// An audit entry before it joins the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditDraft {
    /// Whose chain.
    pub firm_id: FirmId,
    /// When.
    pub at: Timestamp,
    /// Who did it.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// The contact concerned, if any.
    pub contact_id: Option<ContactId>,
    /// The client whose work it concerns, if any: what a client's activity feed lists.
    pub client_id: Option<ClientId>,
    /// The task it concerns, if any.
    pub task_id: Option<TaskId>,
    /// Where from.
    pub request: RequestInfo,
    /// Whether it succeeded.
    pub outcome: AuditOutcome,
    /// Short machine-readable detail, e.g. `reason=already_used` or a client id.
    /// Never a secret.
    pub detail: String,
}

impl AuditDraft {
    /// The same entry, about task `task` of `client`: listed in that client's activity.
    #[must_use]
    pub fn about_task(mut self, client: ClientId, task: TaskId) -> Self {
        self.client_id = Some(client);
        self.task_id = Some(task);
        self
    }

    /// The same entry, about `client`'s work as a whole: listed in its activity.
    #[must_use]
    pub fn about_client(mut self, client: ClientId) -> Self {
        self.client_id = Some(client);
        self
    }

    /// The same entry, recording a refusal.
    #[must_use]
    pub fn refused(mut self) -> Self {
        self.outcome = AuditOutcome::Refused;
        self
    }
}

/// A SHA-256 chain hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    /// The `prev_hash` of a chain's first entry.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// From stored bytes.
    #[must_use]
    pub const fn from_bytes(b: [u8; 32]) -> Self {
        ChainHash(b)
    }

    /// The bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({self})")
    }
}

impl serde::Serialize for ChainHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The last entry of a firm's chain: what the store keeps apart from the entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainHead {
    /// Sequence number of the last entry (the first entry is 1).
    pub seq: u64,
    /// Its hash.
    pub hash: ChainHash,
}

/// An entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Position in the firm's chain, from 1, without gaps.
    pub seq: u64,
    /// The entry.
    pub entry: AuditDraft,
    /// The previous entry's hash ([`ChainHash::GENESIS`] for the first).
    pub prev_hash: ChainHash,
    /// This entry's hash.
    pub hash: ChainHash,
}

fn entry_hash(seq: u64, prev: &ChainHash, e: &AuditDraft) -> ChainHash {
    let mut h = Sha256::new();
    // Length-prefix every field so that no two different entries encode alike.
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(&seq.to_be_bytes());
    field(prev.as_bytes());
    field(e.firm_id.as_bytes());
    field(&e.at.unix_millis().to_be_bytes());
    field(e.actor.to_stored().as_bytes());
    field(e.action.as_str().as_bytes());
    field(
        e.contact_id
            .map(|c| *c.as_bytes())
            .as_ref()
            .map_or(&[][..], |b| &b[..]),
    );
    field(
        e.request
            .ip
            .map(|ip| ip.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    field(
        e.request
            .user_agent
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
    );
    field(e.outcome.as_str().as_bytes());
    field(e.detail.as_bytes());
    // Appended only when present, so that entries sealed before entries had a client
    // or a task keep their hashes; the prefix tells the two apart.
    if e.client_id.is_some() || e.task_id.is_some() {
        field(b"scope");
        field(e.client_id.as_ref().map_or(&[][..], |c| &c.as_bytes()[..]));
        field(e.task_id.as_ref().map_or(&[][..], |t| &t.as_bytes()[..]));
    }
    ChainHash(h.finalize().into())
}

/// Joins `draft` to a chain whose head is `head` (`None` for an empty chain). Stores
/// call this inside the transaction that read the head, so appends never fork.
#[must_use]
pub fn seal(head: Option<ChainHead>, draft: AuditDraft) -> AuditEvent {
    let (seq, prev_hash) = head.map_or((1, ChainHash::GENESIS), |h| (h.seq + 1, h.hash));
    AuditEvent {
        seq,
        hash: entry_hash(seq, &prev_hash, &draft),
        prev_hash,
        entry: draft,
    }
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The entry's contents do not match its hash: it was altered.
    #[error("audit entry {seq} was altered")]
    Altered {
        /// The entry's sequence number.
        seq: u64,
    },
    /// The entry does not follow its predecessor: one or more entries before it were
    /// removed or reordered.
    #[error("audit entries before {seq} were removed or reordered")]
    Gap {
        /// The first entry after the gap.
        seq: u64,
    },
    /// The chain ends before the head the store recorded: its last entries were removed.
    #[error("audit entries after {last_seq} were removed")]
    Truncated {
        /// The last entry present.
        last_seq: u64,
    },
}

/// Checks a whole chain, in order, against its recorded head; names the first break.
pub fn verify_chain(events: &[AuditEvent], head: Option<ChainHead>) -> Result<(), ChainBreak> {
    let mut prev: Option<&AuditEvent> = None;
    for e in events {
        let (want_seq, want_prev) = prev.map_or((1, ChainHash::GENESIS), |p| (p.seq + 1, p.hash));
        if e.seq != want_seq || e.prev_hash != want_prev {
            return Err(ChainBreak::Gap { seq: e.seq });
        }
        if entry_hash(e.seq, &e.prev_hash, &e.entry) != e.hash {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        prev = Some(e);
    }
    let last = prev.map(|p| ChainHead {
        seq: p.seq,
        hash: p.hash,
    });
    match (last, head) {
        (_, None) => Ok(()),
        (Some(l), Some(h)) if l == h => Ok(()),
        (Some(l), Some(h)) if l.seq > h.seq => Err(ChainBreak::Gap { seq: h.seq + 1 }),
        (l, Some(_)) => Err(ChainBreak::Truncated {
            last_seq: l.map_or(0, |l| l.seq),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_user_agent_keeps_to_one_line() {
        let info = RequestInfo::new(
            None,
            Some("Agent\r\nX-Forged: 1\u{2028}\u{2029}\u{1b}[31m/1.0"),
        );
        assert_eq!(info.user_agent.as_deref(), Some("AgentX-Forged: 1[31m/1.0"));
    }

    fn draft(i: u64, detail: &str) -> AuditDraft {
        AuditDraft {
            firm_id: FirmId::from_bytes([1; 16]),
            at: Timestamp::from_unix_millis(1_000 * i as i64),
            actor: if i.is_multiple_of(2) {
                Actor::System
            } else {
                Actor::Staff(StaffId::new("alice").unwrap())
            },
            action: AuditAction::LinkIssued,
            contact_id: Some(ContactId::from_bytes([i as u8; 16])),
            client_id: None,
            task_id: None,
            request: RequestInfo::new(Some([127, 0, 0, 1].into()), Some("test-agent")),
            outcome: AuditOutcome::Success,
            detail: detail.to_owned(),
        }
    }

    fn chain(n: u64) -> (Vec<AuditEvent>, Option<ChainHead>) {
        let mut head = None;
        let mut out = Vec::new();
        for i in 0..n {
            let e = seal(head, draft(i, &format!("n={i}")));
            head = Some(ChainHead {
                seq: e.seq,
                hash: e.hash,
            });
            out.push(e);
        }
        (out, head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (events, head) = chain(5);
        assert_eq!(verify_chain(&events, head), Ok(()));
        assert_eq!(verify_chain(&[], None), Ok(()));
    }

    #[test]
    fn actors_round_trip() {
        for a in [
            Actor::System,
            Actor::Staff(StaffId::new("bob@firm").unwrap()),
            Actor::Contact(ContactId::from_bytes([9; 16])),
        ] {
            assert_eq!(Actor::from_stored(&a.to_stored()), Some(a));
        }
    }

    #[test]
    fn removing_the_tail_is_detected_by_the_head() {
        let (mut events, head) = chain(4);
        events.pop();
        assert_eq!(
            verify_chain(&events, head),
            Err(ChainBreak::Truncated { last_seq: 3 })
        );
        assert_eq!(
            verify_chain(&[], head),
            Err(ChainBreak::Truncated { last_seq: 0 })
        );
    }

    proptest! {
        #[test]
        fn any_single_edit_is_detected(n in 1u64..12, pick in any::<prop::sample::Index>(), field in 0u8..7, text in "[a-z]{1,8}") {
            let (mut events, head) = chain(n);
            let i = pick.index(events.len());
            let e = &mut events[i].entry;
            match field {
                0 => e.detail.push_str(&text),
                1 => e.at = Timestamp::from_unix_millis(e.at.unix_millis() + 1),
                2 => e.action = AuditAction::LinkRedeemed,
                3 => e.outcome = AuditOutcome::Refused,
                4 => e.actor = Actor::Staff(StaffId::new(text).unwrap()),
                5 => e.request.ip = Some([10, 0, 0, 1].into()),
                _ => e.contact_id = None,
            }
            prop_assert_eq!(verify_chain(&events, head), Err(ChainBreak::Altered { seq: i as u64 + 1 }));
        }

        #[test]
        fn any_single_removal_is_detected(n in 1u64..12, pick in any::<prop::sample::Index>()) {
            let (mut events, head) = chain(n);
            let i = pick.index(events.len());
            events.remove(i);
            prop_assert!(verify_chain(&events, head).is_err());
        }

        #[test]
        fn any_swap_is_detected(n in 2u64..12, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
            let (mut events, head) = chain(n);
            let (i, j) = (a.index(events.len()), b.index(events.len()));
            prop_assume!(i != j);
            events.swap(i, j);
            prop_assert!(verify_chain(&events, head).is_err());
        }

        #[test]
        fn rehashing_an_edited_entry_breaks_its_successor(n in 2u64..12, pick in any::<prop::sample::Index>()) {
            // An attacker who edits an entry and recomputes its hash still breaks the next link.
            let (mut events, head) = chain(n);
            let i = pick.index(events.len() - 1);
            events[i].entry.detail.push('!');
            events[i].hash = entry_hash(events[i].seq, &events[i].prev_hash, &events[i].entry);
            prop_assert_eq!(verify_chain(&events, head), Err(ChainBreak::Gap { seq: i as u64 + 2 }));
        }
    }
}
