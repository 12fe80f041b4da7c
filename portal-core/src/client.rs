//! Clients: the companies a firm serves, whose contacts use the portal.

use crate::clock::Timestamp;
use crate::id::{ClientId, FirmId};
use crate::text::{self, CheckedText};

/// A client of a firm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// The firm it belongs to; never changes.
    pub firm_id: FirmId,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
}

impl crate::Portal {
    /// Creates a client of `firm`.
    pub async fn create_client(
        &self,
        firm: FirmId,
        name: &str,
    ) -> Result<Client, crate::staff::StaffError> {
        let client = Client {
            id: ClientId::generate(self.secrets())?,
            firm_id: firm,
            name: CheckedText::new(name, text::NAME)?.into_string(),
            created_at: self.now(),
        };
        self.store().insert_client(&client).await?;
        Ok(client)
    }

    /// The clients of a firm, by name.
    pub async fn clients(&self, firm: FirmId) -> Result<Vec<Client>, crate::portal::InternalError> {
        Ok(self.store().clients(firm).await?)
    }
}
