//! Firms: created, read and updated by the host.

use crate::firm::{Firm, NewFirm};
use crate::id::FirmId;
use crate::portal::Portal;
use crate::text::{self, CheckedText};

impl Portal {
    /// Creates a firm; its name and branding are checked ([`Branding::checked`](crate::firm::Branding::checked)).
    pub async fn create_firm(
        &self,
        new: NewFirm,
    ) -> Result<Firm, crate::portal::staff::StaffError> {
        let firm = Firm {
            id: FirmId::generate(self.secrets())?,
            name: CheckedText::new(&new.name, text::NAME)?.into_string(),
            public_url: new.public_url,
            branding: new.branding.checked()?,
            mail_from: new.mail_from,
            created_at: self.now(),
        };
        self.store().insert_firm(&firm).await?;
        Ok(firm)
    }
}
