//! Clients of a firm: created and listed by the host and staff.

use crate::client::Client;
use crate::id::{ClientId, FirmId};
use crate::portal::Portal;
use crate::text::{self, CheckedText};

impl Portal {
    /// Creates a client of `firm`.
    pub async fn create_client(
        &self,
        firm: FirmId,
        name: &str,
    ) -> Result<Client, crate::portal::staff::StaffError> {
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
