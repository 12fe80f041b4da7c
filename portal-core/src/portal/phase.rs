//! Phases, as staff manage them: create, rename, reorder a client's phases.

use crate::audit::{Actor, AuditAction, AuditDraft};
use crate::id::{ClientId, PhaseId};
use crate::phase::Phase;
use crate::portal::Portal;
use crate::portal::staff::StaffError;
use crate::staff::StaffContext;
use crate::store::StoreError;
use crate::text::{self, CheckedText};

const NAME_TAKEN: &str = "the client has a phase of that name";

fn name_taken(e: StoreError) -> StaffError {
    match e {
        StoreError::Conflict(_) => StaffError::Conflict(NAME_TAKEN),
        other => other.into(),
    }
}

impl Portal {
    fn phase_audit(&self, ctx: &StaffContext, action: AuditAction, detail: String) -> AuditDraft {
        self.audit(
            ctx.firm,
            Actor::Staff(ctx.staff.clone()),
            action,
            None,
            &ctx.request,
            detail,
        )
    }

    /// A client's phases, in order, for staff.
    pub async fn staff_phases(
        &self,
        ctx: &StaffContext,
        client: ClientId,
    ) -> Result<Vec<Phase>, StaffError> {
        let client = self.staff_client(ctx, client).await?;
        Ok(self.store().phases(client.id).await?)
    }

    /// A phase of a client of the staff member's firm; [`StaffError::NotFound`] for
    /// another firm's.
    pub async fn staff_phase(&self, ctx: &StaffContext, id: PhaseId) -> Result<Phase, StaffError> {
        self.store()
            .phase(id)
            .await?
            .filter(|p| p.firm_id == ctx.firm)
            .ok_or(StaffError::NotFound)
    }

    /// Adds a phase after the client's others; [`StaffError::Conflict`] if the client
    /// has a phase of that name.
    pub async fn create_phase(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        name: &str,
    ) -> Result<Phase, StaffError> {
        let name = CheckedText::new(name, text::TASK_PHASE)?.into_string();
        let client = self.staff_client(ctx, client).await?;
        self.insert_phase(ctx, client.id, name).await
    }

    /// The client's phase of that (checked) name, made after the others if it has none:
    /// what a task created under a phase name belongs to.
    pub(super) async fn phase_named(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        name: String,
    ) -> Result<PhaseId, StaffError> {
        let existing = |phases: Vec<Phase>| phases.into_iter().find(|p| p.name == name);
        if let Some(p) = existing(self.store().phases(client).await?) {
            return Ok(p.id);
        }
        match self.insert_phase(ctx, client, name.clone()).await {
            Ok(p) => Ok(p.id),
            // Another request made it meanwhile: the name is unique per client.
            Err(StaffError::Conflict(_)) => existing(self.store().phases(client).await?)
                .map(|p| p.id)
                .ok_or(StaffError::Conflict(NAME_TAKEN)),
            Err(e) => Err(e),
        }
    }

    async fn insert_phase(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        name: String,
    ) -> Result<Phase, StaffError> {
        let phases = self.store().phases(client).await?;
        let phase = Phase {
            id: PhaseId::generate(self.secrets())?,
            firm_id: ctx.firm,
            client_id: client,
            name,
            position: phases.iter().map(|p| p.position).max().unwrap_or(0) + 1,
            created_at: self.now(),
        };
        let audit = self.phase_audit(
            ctx,
            AuditAction::PhaseCreated,
            format!("client={client} phase={}", phase.id),
        );
        self.store()
            .insert_phase(&phase, audit)
            .await
            .map_err(name_taken)?;
        Ok(phase)
    }

    /// Renames a phase of a client; [`StaffError::Conflict`] if the client has another
    /// phase of that name.
    pub async fn rename_phase(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        phase: PhaseId,
        name: &str,
    ) -> Result<Phase, StaffError> {
        let name = CheckedText::new(name, text::TASK_PHASE)?.into_string();
        if !self
            .staff_phases(ctx, client)
            .await?
            .iter()
            .any(|p| p.id == phase)
        {
            return Err(StaffError::NotFound);
        }
        let audit = self.phase_audit(ctx, AuditAction::PhaseRenamed, format!("phase={phase}"));
        self.store()
            .rename_phase(phase, &name, audit)
            .await
            .map_err(name_taken)?
            .ok_or(StaffError::NotFound)
    }

    /// Puts a client's phases in the order given, which names each of them once
    /// ([`StaffError::Invalid`] otherwise).
    pub async fn reorder_phases(
        &self,
        ctx: &StaffContext,
        client: ClientId,
        order: &[PhaseId],
    ) -> Result<Vec<Phase>, StaffError> {
        let client = self.staff_client(ctx, client).await?;
        let audit = self.phase_audit(
            ctx,
            AuditAction::PhasesReordered,
            format!("client={}", client.id),
        );
        if !self.store().reorder_phases(client.id, order, audit).await? {
            return Err(StaffError::Invalid(
                "the order must name each of the client's phases once",
            ));
        }
        Ok(self.store().phases(client.id).await?)
    }
}
