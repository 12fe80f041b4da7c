//! The [`Portal`] handle and everything it does: the store, the clock, the secret
//! source, the delivery and the policies, wired once by [`PortalBuilder`] and cloned
//! cheaply into every handler; its operations live in one module per concept, above
//! the records and the store traits they use, which never import them back.

mod attachment;
mod client;
pub mod conversation;
pub mod credential;
pub mod documents;
mod email_code;
mod failure;
mod firm;
mod grant;
pub mod login;
mod magic_link;
pub mod maintenance;
pub mod notice;
pub mod outbox;
mod password;
mod personal_link;
mod phase;
mod preview;
pub mod session;
pub mod signature;
pub mod staff;
mod staff_notice;
mod staff_tasks;
mod submission;
pub mod task;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::audit::{Actor, AuditAction, AuditDraft, AuditOutcome, RequestInfo};
use crate::background::Background;
use crate::blob::{BlobStore, FileStorage};
use crate::clock::{Clock, SystemClock, Timestamp};
use crate::email::EmailAddress;
use crate::firm::Firm;
use crate::hashing::{HashError, HashingLimits, HashingLoad, SecretHasher};
use crate::id::{ContactId, FirmId};
use crate::notify::{Delivery, Templates};
use crate::policy::{Policy, PolicyError};
use crate::random::{OsSecretSource, RandomnessUnavailable, SecretSource};
use crate::store::{Store, StoreError};

/// A failure that is not the caller's fault: the store, hashing, or randomness.
/// Web layers answer it with an opaque 500 and log the cause; one that will likely
/// pass by itself (see `web::retry_after_secs`) with a 503 and `Retry-After`.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// No randomness.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// The host asked for a firm that does not exist.
    #[error("unknown firm {0}")]
    UnknownFirm(FirmId),
    /// The file storage failed.
    #[error(transparent)]
    Files(#[from] crate::blob::BlobError),
    /// A queued message could not be sealed.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
}

/// The portal: every login, session, access and staff operation.
///
/// Cheap to clone (one `Arc`). Build it with [`Portal::builder`] inside a tokio
/// runtime; background work (mail) runs on that runtime.
#[derive(Clone, Debug)]
pub struct Portal {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) files: Arc<dyn BlobStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) secrets: Arc<dyn SecretSource>,
    pub(crate) delivery: Arc<dyn Delivery>,
    pub(crate) default_policy: Policy,
    pub(crate) firm_policies: HashMap<FirmId, Policy>,
    pub(crate) hasher: SecretHasher,
    pub(crate) background: Background,
    pub(crate) mount_path: String,
    pub(crate) next_prefixes: Vec<String>,
    pub(crate) templates: Templates,
    pub(crate) firm_templates: HashMap<FirmId, Templates>,
    pub(crate) default_sender: Option<EmailAddress>,
    pub(crate) vault: Option<Arc<crate::vault::Vault>>,
    // Seals queued messages that carry secrets: the host's vault, or a key this process
    // drew at start (see `crate::outbox`).
    pub(crate) outbox_vault: Arc<crate::vault::Vault>,
    // Where automatic purging of closed credentials goes on from (see
    // `purge_closed_credentials`).
    pub(crate) purge_cursor: std::sync::Mutex<Option<crate::id::TaskId>>,
    // Set at the first email sent from the placeholder address, so that the warning
    // about it is logged once, not per email.
    pub(crate) warned_no_sender: std::sync::atomic::AtomicBool,
    // When this process last swept its file storage (unix milliseconds; `i64::MIN`
    // before the first sweep).
    pub(crate) last_sweep: std::sync::atomic::AtomicI64,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Store")
    }
}

/// The sender of a firm's mail when neither the firm nor the portal has one: a
/// domain that cannot exist (`.invalid`), so that such mail is never taken for
/// someone's.
const NO_SENDER: &str = "portal@localhost.invalid";

/// Why a [`Portal`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `build` was called outside a tokio runtime.
    #[error("Portal::build must run inside a tokio runtime")]
    NoRuntime,
    /// A policy is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The mount path is not `/segment[/segment...]`.
    #[error("the mount path must look like /portal")]
    MountPath,
    /// A prefix given to [`PortalBuilder::allow_next_under`] is not
    /// `/segment[/segment...]`.
    #[error("a host prefix for login targets must look like /dashboard")]
    NextPrefix,
    /// No [`PortalBuilder::delivery`]: login links and codes would go nowhere.
    #[error(
        "no delivery: set PortalBuilder::delivery (SmtpDelivery for real mail; LogDelivery \
         or DevOutbox in development)"
    )]
    NoDelivery,
    /// [`PortalBuilder::maintain_every`] was given a period of zero.
    #[error("the maintenance period must be longer than zero")]
    MaintenancePeriod,
    /// [`PortalBuilder::outbox_every`] was given a period of zero.
    #[error("the outbox period must be longer than zero")]
    OutboxPeriod,
    /// The operating system gave no randomness for this process's outbox key.
    #[error("no randomness for the outbox key")]
    Randomness,
}

/// Whether `m` is a mount path: `/segment[/segment...]`, of letters, digits, `-` and
/// `_`, without a trailing slash (paths below it are matched by whole segments).
pub(crate) fn is_mount_path(m: &str) -> bool {
    m.strip_prefix('/').is_some_and(|rest| {
        rest.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    })
}

/// Configures a [`Portal`].
#[derive(Debug)]
#[must_use]
pub struct PortalBuilder {
    store: Arc<dyn Store>,
    files: Option<Arc<dyn BlobStore>>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretSource>,
    delivery: Option<Arc<dyn Delivery>>,
    default_policy: Policy,
    firm_policies: HashMap<FirmId, Policy>,
    mount_path: String,
    next_prefixes: Vec<String>,
    templates: Templates,
    firm_templates: HashMap<FirmId, Templates>,
    default_sender: Option<EmailAddress>,
    hashing: HashingLimits,
    maintenance: Option<Duration>,
    vault: Option<Arc<crate::vault::Vault>>,
    outbox_period: Duration,
}

impl Portal {
    /// Starts configuring a portal on `store`. Defaults: the system clock, the OS
    /// CSPRNG, [`Policy::default`], mount path `/portal`. A delivery
    /// ([`PortalBuilder::delivery`]) must be set.
    pub fn builder(store: impl Store) -> PortalBuilder {
        Self::builder_shared(Arc::new(store))
    }

    /// Like [`Portal::builder`] with a store that is already shared.
    pub fn builder_shared(store: Arc<dyn Store>) -> PortalBuilder {
        PortalBuilder {
            store,
            files: None,
            clock: Arc::new(SystemClock),
            secrets: Arc::new(OsSecretSource),
            delivery: None,
            default_policy: Policy::default(),
            firm_policies: HashMap::new(),
            mount_path: "/portal".to_owned(),
            next_prefixes: Vec::new(),
            templates: Templates::default(),
            firm_templates: HashMap::new(),
            default_sender: None,
            hashing: HashingLimits::for_machine(),
            maintenance: None,
            vault: None,
            outbox_period: outbox::DEFAULT_OUTBOX_PERIOD,
        }
    }

    /// The store, for the layers above the operations (the HTTP layer, the conformance
    /// suite): a host goes through the operations, which keep the rules.
    #[must_use]
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Where file bytes live: the web layer streams uploads into it before an
    /// operation records them.
    #[must_use]
    pub fn files(&self) -> &Arc<dyn BlobStore> {
        &self.inner.files
    }

    /// The current time from the injected clock.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// The policy of a firm.
    #[must_use]
    pub fn policy(&self, firm: FirmId) -> &Policy {
        self.inner
            .firm_policies
            .get(&firm)
            .unwrap_or(&self.inner.default_policy)
    }

    /// The email templates of a firm: its own if the host gave it some, else the
    /// portal's.
    pub(crate) fn templates(&self, firm: FirmId) -> &Templates {
        self.inner
            .firm_templates
            .get(&firm)
            .unwrap_or(&self.inner.templates)
    }

    /// Where the portal is mounted, e.g. `/portal`.
    #[must_use]
    pub fn mount_path(&self) -> &str {
        &self.inner.mount_path
    }

    /// `next` if a login may land there: inside the portal or under a prefix the host
    /// allowed ([`PortalBuilder::allow_next_under`]).
    pub(crate) fn landing(&self, next: &str) -> Option<String> {
        crate::redirect::safe_next_under(
            next,
            std::iter::once(self.mount_path())
                .chain(self.inner.next_prefixes.iter().map(String::as_str)),
        )
    }

    /// The secret source.
    #[must_use]
    pub fn secrets(&self) -> &dyn SecretSource {
        self.inner.secrets.as_ref()
    }

    /// What the argon2 hashing pool has done so far (for monitoring: a growing
    /// `refused_busy` means logins are being answered 503).
    #[must_use]
    pub fn hashing_load(&self) -> HashingLoad {
        self.inner.hasher.load()
    }

    /// Waits until every queued background job (mail) has finished.
    pub async fn settle(&self) {
        self.inner.background.settle().await;
    }

    /// The absolute URL of `path` (starting with `/`, relative to the mount path) in
    /// `firm`'s portal, built from the firm's configured public URL only.
    #[must_use]
    pub fn url(&self, firm: &Firm, path: &str) -> String {
        firm.public_url
            .join(&format!("{}{path}", self.inner.mount_path))
    }

    /// Loads a firm the host asked for; its absence is a configuration error.
    pub async fn firm(&self, id: FirmId) -> Result<Firm, InternalError> {
        self.inner
            .store
            .firm(id)
            .await?
            .ok_or(InternalError::UnknownFirm(id))
    }

    pub(crate) fn audit(
        &self,
        firm: FirmId,
        actor: Actor,
        action: AuditAction,
        contact: Option<ContactId>,
        request: &RequestInfo,
        detail: impl Into<String>,
    ) -> AuditDraft {
        AuditDraft {
            firm_id: firm,
            at: self.now(),
            actor,
            action,
            contact_id: contact,
            client_id: None,
            task_id: None,
            request: request.clone(),
            outcome: AuditOutcome::Success,
            detail: detail.into(),
        }
    }

    /// Runs a job off the request path; its failure is logged (it has no one to answer).
    pub(crate) fn spawn_job<E: std::fmt::Display>(
        &self,
        name: &'static str,
        job: impl std::future::Future<Output = Result<(), E>> + Send + 'static,
    ) {
        self.inner.background.spawn(async move {
            if let Err(e) = job.await {
                tracing::error!(job = name, error = %e, "background job failed");
            }
        });
    }

    /// Says, once, that mail goes out from [`NO_SENDER`]: mail servers refuse it or
    /// file it as spam, and the contact never sees the link.
    fn warn_no_sender(&self, firm: &Firm) {
        if !self
            .inner
            .warned_no_sender
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!(
                firm = %firm.id,
                "email sent from {NO_SENDER}: the firm has no sender address of its own \
                 (FirmSettings::mail_from) and the portal no default one \
                 (PortalBuilder::default_sender); mail servers will refuse or bury it"
            );
        }
    }

    pub(crate) fn sender(&self, firm: &Firm) -> String {
        let address = firm
            .mail_from
            .as_ref()
            .or(self.inner.default_sender.as_ref())
            .map_or_else(
                || {
                    self.warn_no_sender(firm);
                    NO_SENDER.to_owned()
                },
                |a| a.as_str().to_owned(),
            );
        let name: String = firm
            .name
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '<' | '>'))
            .collect();
        format!("\"{name}\" <{address}>")
    }
}

impl PortalBuilder {
    /// Where file bytes live (uploads, published documents): a [`FileStorage`] on a
    /// folder or an S3 bucket. Default: in memory, lost when the process ends, which
    /// suits tests and demos only.
    pub fn files(mut self, files: impl BlobStore) -> Self {
        self.files = Some(Arc::new(files));
        self
    }

    /// Like [`PortalBuilder::files`] with a storage that is already shared.
    pub fn files_shared(mut self, files: Arc<dyn BlobStore>) -> Self {
        self.files = Some(files);
        self
    }

    /// The clock (tests pass a manual one).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The secret source (tests pass a seeded one).
    pub fn secrets(mut self, secrets: impl SecretSource) -> Self {
        self.secrets = Arc::new(secrets);
        self
    }

    /// Where messages go.
    pub fn delivery(mut self, delivery: impl Delivery) -> Self {
        self.delivery = Some(Arc::new(delivery));
        self
    }

    /// The policy of every firm without its own.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.default_policy = policy;
        self
    }

    /// The policy of one firm.
    pub fn firm_policy(mut self, firm: FirmId, policy: Policy) -> Self {
        self.firm_policies.insert(firm, policy);
        self
    }

    /// Where the portal is mounted in the host's URL space (default `/portal`); every
    /// link and every `next` target lives under it.
    pub fn mount_path(mut self, path: impl Into<String>) -> Self {
        self.mount_path = path.into();
        self
    }

    /// Lets a login land on the host's own pages under `prefix` (e.g. `/dashboard`,
    /// matched by whole segments), besides the portal's: a `next` target there is
    /// followed after login, with the same checks as inside the portal. Call once per
    /// prefix. Anywhere else, `next` is ignored and the login lands on the portal.
    pub fn allow_next_under(mut self, prefix: impl Into<String>) -> Self {
        self.next_prefixes.push(prefix.into());
        self
    }

    /// The email templates of every firm without its own
    /// ([`PortalBuilder::firm_templates`]).
    pub fn templates(mut self, templates: Templates) -> Self {
        self.templates = templates;
        self
    }

    /// The email templates of one firm, in place of the portal's.
    pub fn firm_templates(mut self, firm: FirmId, templates: Templates) -> Self {
        self.firm_templates.insert(firm, templates);
        self
    }

    /// The sender for firms without their own address.
    pub fn default_sender(mut self, sender: EmailAddress) -> Self {
        self.default_sender = Some(sender);
        self
    }

    /// How much argon2 work (passwords, email codes) may run and wait at once. Default
    /// [`HashingLimits::for_machine`]: one computation per core.
    pub fn hashing_limits(mut self, limits: HashingLimits) -> Self {
        self.hashing = limits;
        self
    }

    /// The key ring that seals the credentials clients hand over (see
    /// [`crate::vault`]). Without one, credential tasks are refused: a credential is
    /// never stored in clear. The keys come from the host's configuration (the example
    /// servers read `PORTAL_VAULT_KEYS`), never from the database they protect.
    ///
    /// ```
    /// use portal_core::{MemoryStore, Portal};
    /// use portal_core::notify::LogDelivery;
    /// use portal_core::vault::Vault;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `openssl rand -base64 32` makes a key; the first is the active one.
    /// let vault = Vault::from_config("2026-12:3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")?;
    /// let portal = Portal::builder(MemoryStore::new())
    ///     .delivery(LogDelivery)
    ///     .vault(vault)
    ///     .build()?;
    /// assert!(portal.has_vault());
    /// # Ok(()) }
    /// ```
    pub fn vault(mut self, vault: crate::vault::Vault) -> Self {
        self.vault = Some(Arc::new(vault));
        self
    }

    /// [`PortalBuilder::vault`] with a vault the host holds elsewhere too (its
    /// configuration, another portal of the same deployment).
    pub fn vault_shared(mut self, vault: Arc<crate::vault::Vault>) -> Self {
        self.vault = Some(vault);
        self
    }

    /// Runs [`Portal::maintain`] every `period` (the first time at once) on a task of
    /// the runtime, so that expired rows go and refusal windows are summarised with no
    /// scheduling of the host's own; a run that fails is logged, and the next one tries
    /// again. The task holds no handle on the portal between runs: it ends at the first
    /// tick after the last clone of the [`Portal`] is dropped. Safe on every instance
    /// sharing a store. Off by default (a host may call [`Portal::maintain`] from its
    /// own scheduler instead); five minutes suits most hosts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use portal_core::{MemoryStore, Portal};
    /// use portal_core::notify::LogDelivery;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), portal_core::BuildError> {
    /// let portal = Portal::builder(MemoryStore::new())
    ///     .delivery(LogDelivery)
    ///     .maintain_every(Duration::from_secs(300))
    ///     .build()?;
    /// # let _ = portal; Ok(()) }
    /// ```
    pub fn maintain_every(mut self, period: Duration) -> Self {
        self.maintenance = Some(period);
        self
    }

    /// How often this process looks for due messages in the outbox on its own: retries,
    /// and messages other instances queued or left behind (every 5 s by default). A
    /// message this process queues is delivered at once, whatever the period.
    pub fn outbox_every(mut self, period: Duration) -> Self {
        self.outbox_period = period;
        self
    }

    /// Checks the configuration and builds the portal. Must run inside a tokio runtime.
    pub fn build(self) -> Result<Portal, BuildError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        self.default_policy.validate()?;
        for p in self.firm_policies.values() {
            p.validate()?;
        }
        if !is_mount_path(&self.mount_path) {
            return Err(BuildError::MountPath);
        }
        if !self.next_prefixes.iter().all(|p| is_mount_path(p)) {
            return Err(BuildError::NextPrefix);
        }
        if self.maintenance.is_some_and(|p| p.is_zero()) {
            return Err(BuildError::MaintenancePeriod);
        }
        if self.outbox_period.is_zero() {
            return Err(BuildError::OutboxPeriod);
        }
        // No silent default: a forgotten delivery would keep live login links in
        // memory and send nothing.
        let delivery = self.delivery.ok_or(BuildError::NoDelivery)?;
        let costliest = std::iter::once(&self.default_policy)
            .chain(self.firm_policies.values())
            .map(|p| p.password.hashing.memory_kib)
            .max()
            .unwrap_or_default();
        let outbox_vault = match &self.vault {
            Some(vault) => vault.clone(),
            None => Arc::new(
                crate::vault::Vault::ephemeral(&*self.secrets)
                    .map_err(|_| BuildError::Randomness)?,
            ),
        };
        let portal = Portal {
            inner: Arc::new(Inner {
                hasher: SecretHasher::new(self.secrets.clone(), self.hashing, costliest),
                store: self.store,
                files: self
                    .files
                    .unwrap_or_else(|| Arc::new(FileStorage::memory())),
                clock: self.clock,
                secrets: self.secrets,
                delivery,
                default_policy: self.default_policy,
                firm_policies: self.firm_policies,
                background: Background::new(runtime.clone()),
                mount_path: self.mount_path,
                next_prefixes: self.next_prefixes,
                templates: self.templates,
                firm_templates: self.firm_templates,
                default_sender: self.default_sender,
                outbox_vault,
                vault: self.vault,
                purge_cursor: std::sync::Mutex::new(None),
                warned_no_sender: Default::default(),
                last_sweep: std::sync::atomic::AtomicI64::new(i64::MIN),
            }),
        };
        if let Some(period) = self.maintenance {
            maintenance::spawn(&portal, period, &runtime);
        }
        outbox::spawn(&portal, self.outbox_period, &runtime);
        Ok(portal)
    }
}
