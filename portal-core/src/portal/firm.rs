//! Firms: created or found again by the host, read by id or key.

use crate::firm::{Firm, FirmKey, FirmSettings, NewFirm};
use crate::id::FirmId;
use crate::portal::staff::StaffError;
use crate::portal::{InternalError, Portal};

impl Portal {
    /// Creates a firm with a new id, which the host keeps to find it again; its name
    /// and branding are checked ([`FirmSettings::checked`]). A host that would rather
    /// not store the id uses [`Portal::ensure_firm`].
    pub async fn create_firm(&self, new: NewFirm) -> Result<Firm, StaffError> {
        let firm = new
            .checked()?
            .into_firm(FirmId::generate(self.secrets())?, None, self.now());
        self.store().insert_firm(&firm).await?;
        Ok(firm)
    }

    /// The firm with `key`, created with `settings` the first time, and given
    /// `settings` at every later call: call it at every start, and a changed setting
    /// (a new public URL, say) takes effect with no other step. The settings are
    /// checked first, as [`Portal::create_firm`] checks them; settings it refuses write
    /// nothing.
    ///
    /// Idempotent, also across instances sharing the store: when several start at
    /// once, the key decides, one of them creates the firm and the others find it (and
    /// write the same settings again).
    ///
    /// ```
    /// use portal_core::{MemoryStore, Portal};
    /// use portal_core::firm::{Branding, FirmKey, FirmSettings, PublicUrl};
    /// use portal_core::notify::LogDelivery;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let portal = Portal::builder(MemoryStore::new()).delivery(LogDelivery).build()?;
    /// let settings = |url: &str| -> Result<FirmSettings, Box<dyn std::error::Error>> {
    ///     Ok(FirmSettings {
    ///         name: "Acme Accounting".into(),
    ///         public_url: PublicUrl::parse(url)?,
    ///         branding: Branding::default(),
    ///         mail_from: None,
    ///     })
    /// };
    /// let key = FirmKey::new("acme")?;
    /// let first = portal.ensure_firm(&key, settings("https://portal.acme.example")?).await?;
    /// // The next start, with the portal moved to another address:
    /// let again = portal.ensure_firm(&key, settings("https://clients.acme.example")?).await?;
    /// assert_eq!(again.id, first.id);
    /// assert_eq!(again.public_url.as_str(), "https://clients.acme.example");
    /// # Ok(()) }
    /// ```
    pub async fn ensure_firm(
        &self,
        key: &FirmKey,
        settings: FirmSettings,
    ) -> Result<Firm, StaffError> {
        let settings = settings.checked()?;
        let id = FirmId::generate(self.secrets())?;
        let firm = self
            .store()
            .ensure_firm(key, &settings, id, self.now())
            .await?;
        Ok(firm)
    }

    /// The firm with `key`, if [`Portal::ensure_firm`] made one; reads only.
    pub async fn firm_by_key(&self, key: &FirmKey) -> Result<Option<Firm>, InternalError> {
        Ok(self.store().firm_by_key(key).await?)
    }
}
