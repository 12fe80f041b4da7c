//! Grants: staff give a contact a client, with permissions, or take it away.

use crate::grant::Permissions;
use crate::portal::{InternalError, Portal};

impl Portal {
    /// The clients a contact holds grants to, with the permissions on each, oldest
    /// grant first. Clients outside the contact's firm are never returned.
    pub async fn granted_clients(
        &self,
        contact: &crate::contact::Contact,
    ) -> Result<Vec<(crate::client::Client, Permissions)>, InternalError> {
        let mut clients = self.store().granted_clients(contact.id).await?;
        clients.retain(|(client, _)| client.firm_id == contact.firm_id);
        Ok(clients)
    }
}
