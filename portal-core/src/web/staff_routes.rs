//! The staff JSON API (`/admin/api`): the staff operations of `portal_core::staff`
//! over HTTP, behind a host-supplied [`StaffAuthenticator`]. Its routes are listed in
//! [`routes::STAFF`](super::routes::STAFF) and dispatched by
//! [`staff_api`](super::staff_api); the handlers for contacts, clients and the audit
//! log are here, those for tasks and phases in
//! [`staff_task_routes`](super::staff_task_routes).

use async_trait::async_trait;
use serde::Deserialize;

use super::errors::WebError;
use super::request::Request;
use super::response::Response;
use super::responses::{
    self, ChainCheck, ClientView, ContactState, ContactView, Link, PreviewLinkView, Revoked, Sent,
    SessionView, SessionsRevoked, Status,
};
use super::routing::{Answer, Json, parse_id};
use super::strict::{self, Query};
use crate::contact::ContactStatus;
use crate::grant::Permissions;
use crate::id::{ClientId, ContactId, StaffId};
use crate::portal::Portal;
use crate::staff::{Invitation, StaffContext};
use crate::token::secrets_equal;

/// Decides who a staff request comes from. The host's own authentication (its session,
/// SSO, an API key) lives behind this trait; Portal only needs the staff id.
#[async_trait]
pub trait StaffAuthenticator: Send + Sync + std::fmt::Debug + 'static {
    /// The staff member making the request, or `None` to answer 401.
    async fn authenticate(&self, request: &Request) -> Option<StaffId>;
}

/// `Authorization: Bearer <token>` against one configured token, compared in constant
/// time. For the example servers and simple deployments.
pub struct BearerToken {
    token: String,
    staff: StaffId,
}

/// A bearer token too short to be a secret (under 16 characters), or with whitespace or
/// control characters, which no `Authorization` header could carry intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a staff bearer token needs at least 16 characters and no spaces")]
pub struct WeakBearerToken;

impl BearerToken {
    /// The fewest characters a token may have; generate one with e.g.
    /// `openssl rand -base64 32`.
    pub const MIN_LEN: usize = 16;

    /// Accepts `token` as `staff`; refuses a token that an empty or guessable header
    /// would match.
    pub fn new(token: impl Into<String>, staff: StaffId) -> Result<Self, WeakBearerToken> {
        let token = token.into();
        if token.chars().count() < Self::MIN_LEN
            || token.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(WeakBearerToken);
        }
        Ok(BearerToken { token, staff })
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerToken")
            .field("staff", &self.staff)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl StaffAuthenticator for BearerToken {
    async fn authenticate(&self, request: &Request) -> Option<StaffId> {
        let presented = request
            .header_value("authorization")?
            .strip_prefix("Bearer ")?;
        secrets_equal(presented.trim_ascii(), &self.token).then(|| self.staff.clone())
    }
}

/// A staff request, its caller authenticated: what the staff API's handlers are given.
pub(super) struct Staff<'r> {
    pub(super) req: &'r Request,
    /// Where the staff API is mounted, for the addresses its documents give.
    pub(super) mount: &'r str,
    pub(super) portal: &'r Portal,
    pub(super) ctx: StaffContext,
}

/// `GET /status`.
pub(super) async fn status(s: &Staff<'_>) -> Answer {
    Ok(Response::json(200, &Status::from(s.portal.hashing_load())))
}

/// `GET /contacts`.
pub(super) async fn contacts(s: &Staff<'_>) -> Answer {
    let contacts = s.portal.list_contacts(&s.ctx).await?;
    let views: Vec<_> = contacts.iter().map(ContactView::from).collect();
    Ok(Response::json(200, &views))
}

/// `POST /contacts`.
pub(super) async fn invite(s: &Staff<'_>, Json(body): Json<NewContactBody>) -> Answer {
    let invitation = Invitation {
        email: body.email,
        first_name: body.first_name,
        phone: body.phone,
        client_ids: ids(&body.client_ids)?,
        permissions: permissions(body.permissions)?,
    };
    let summary = s.portal.invite(&s.ctx, invitation).await?;
    Ok(Response::json(201, &ContactView::from(&summary)))
}

/// `GET /contacts/{contact}`.
pub(super) async fn contact(s: &Staff<'_>, contact: &str) -> Answer {
    summary(s, parse_id(contact)?).await
}

/// The contact as it now is.
async fn summary(s: &Staff<'_>, contact: ContactId) -> Answer {
    let summary = s.portal.contact_summary(&s.ctx, contact).await?;
    Ok(Response::json(200, &ContactView::from(&summary)))
}

/// `DELETE /contacts/{contact}`.
pub(super) async fn revoke_contact(s: &Staff<'_>, contact: &str) -> Answer {
    s.portal.revoke_contact(&s.ctx, parse_id(contact)?).await?;
    Ok(Response::json(200, &Revoked { revoked: true }))
}

/// `POST /contacts/{contact}/magic-link`.
pub(super) async fn magic_link(s: &Staff<'_>, contact: &str) -> Answer {
    let url = s
        .portal
        .generate_magic_link(&s.ctx, parse_id(contact)?)
        .await?;
    Ok(Response::json(200, &Link { url }))
}

/// `POST /contacts/{contact}/preview`: a single-use link to a read-only preview of
/// the contact's portal, and when it stops working.
pub(super) async fn preview(s: &Staff<'_>, contact: &str) -> Answer {
    let link = s
        .portal
        .issue_preview_link(&s.ctx, parse_id(contact)?)
        .await?;
    Ok(Response::json(
        200,
        &PreviewLinkView {
            expires_at: link.expires_at,
            url: link.url,
        },
    ))
}

/// `POST /contacts/{contact}/login-email`.
pub(super) async fn login_email(s: &Staff<'_>, contact: &str) -> Answer {
    s.portal
        .send_login_email(&s.ctx, parse_id(contact)?)
        .await?;
    Ok(Response::json(202, &Sent { sent: true }))
}

/// `POST /contacts/{contact}/personal-link`.
pub(super) async fn personal_link(s: &Staff<'_>, contact: &str) -> Answer {
    let url = s
        .portal
        .generate_personal_link(&s.ctx, parse_id(contact)?)
        .await?;
    Ok(Response::json(200, &Link { url }))
}

/// `POST /contacts/{contact}/password-link`.
pub(super) async fn password_link(s: &Staff<'_>, contact: &str) -> Answer {
    s.portal
        .send_password_link(&s.ctx, parse_id(contact)?)
        .await?;
    Ok(Response::json(202, &Sent { sent: true }))
}

/// `POST /contacts/{contact}/revoke`.
pub(super) async fn revoke_access(s: &Staff<'_>, contact: &str) -> Answer {
    let n = s.portal.revoke_access(&s.ctx, parse_id(contact)?).await?;
    Ok(Response::json(
        200,
        &SessionsRevoked {
            sessions_revoked: n,
        },
    ))
}

/// `POST /contacts/{contact}/suspend`.
pub(super) async fn suspend(s: &Staff<'_>, contact: &str) -> Answer {
    s.portal.suspend_contact(&s.ctx, parse_id(contact)?).await?;
    let state = ContactState {
        status: ContactStatus::Suspended,
    };
    Ok(Response::json(200, &state))
}

/// `POST /contacts/{contact}/unsuspend`.
pub(super) async fn unsuspend(s: &Staff<'_>, contact: &str) -> Answer {
    s.portal.lift_suspension(&s.ctx, parse_id(contact)?).await?;
    let state = ContactState {
        status: ContactStatus::Active,
    };
    Ok(Response::json(200, &state))
}

/// `GET /contacts/{contact}/sessions`.
pub(super) async fn sessions(s: &Staff<'_>, contact: &str) -> Answer {
    let sessions = s
        .portal
        .contact_sessions(&s.ctx, parse_id(contact)?)
        .await?;
    let views: Vec<_> = sessions.iter().map(SessionView::from).collect();
    Ok(Response::json(200, &views))
}

/// `DELETE /contacts/{contact}/sessions/{session}`.
pub(super) async fn revoke_session(s: &Staff<'_>, contact: &str, session: &str) -> Answer {
    let session = parse_id(session)?;
    s.portal
        .revoke_session(&s.ctx, parse_id(contact)?, session)
        .await?;
    Ok(Response::json(200, &Revoked { revoked: true }))
}

/// `PUT /contacts/{contact}/grants/{client}`.
pub(super) async fn grant(
    s: &Staff<'_>,
    contact: &str,
    client: &str,
    Json(body): Json<GrantBody>,
) -> Answer {
    let client: ClientId = parse_id(client)?;
    let contact = parse_id(contact)?;
    s.portal
        .grant(&s.ctx, contact, client, permissions(body.permissions)?)
        .await?;
    summary(s, contact).await
}

/// `PUT /contacts/{contact}/phone`: sets the number (`null` clears it); the contact as
/// it now is.
pub(super) async fn set_phone(s: &Staff<'_>, contact: &str, Json(body): Json<PhoneBody>) -> Answer {
    let summary = s
        .portal
        .set_contact_phone(&s.ctx, parse_id(contact)?, body.phone.as_deref())
        .await?;
    Ok(Response::json(200, &ContactView::from(&summary)))
}

/// `DELETE /contacts/{contact}/grants/{client}`.
pub(super) async fn ungrant(s: &Staff<'_>, contact: &str, client: &str) -> Answer {
    let client: ClientId = parse_id(client)?;
    let contact = parse_id(contact)?;
    s.portal.ungrant(&s.ctx, contact, client).await?;
    summary(s, contact).await
}

/// `PUT /contacts/{contact}/reminders`: pauses the contact's reminders until a date
/// (`{"paused_until": "2026-12-24"}`, the start of that day in the firm's time zone) or
/// lifts the pause (`{"paused_until": null}`).
pub(super) async fn pause_reminders(
    s: &Staff<'_>,
    contact: &str,
    Json(body): Json<PauseBody>,
) -> Answer {
    let Some(until) = body.paused_until else {
        return Err(WebError::Unprocessable(
            "paused_until is required: a date (YYYY-MM-DD) or null".into(),
        ));
    };
    let date = until.map(|d| {
        let (y, m, d) = d.0.date();
        (
            i16::try_from(y).unwrap_or(i16::MAX),
            i8::try_from(m).unwrap_or(0),
            i8::try_from(d).unwrap_or(0),
        )
    });
    let until = s
        .portal
        .pause_reminders(&s.ctx, parse_id(contact)?, date)
        .await?;
    Ok(Response::json(
        200,
        &ReminderPause {
            paused_until: until,
        },
    ))
}

/// What `PUT /contacts/{contact}/reminders` answers.
#[derive(serde::Serialize)]
struct ReminderPause {
    paused_until: Option<crate::clock::Timestamp>,
}

/// `PUT /contacts/{contact}/reminders`: until when, or `null`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PauseBody {
    #[serde(default, deserialize_with = "strict::nullable")]
    paused_until: Option<Option<strict::Date>>,
}

/// `GET /notifications`: how the calling staff member hears of client activity
/// (`null` before it chose).
pub(super) async fn notifications(s: &Staff<'_>) -> Answer {
    let recipient = s.portal.staff_notifications(&s.ctx).await?;
    Ok(Response::json(200, &recipient))
}

/// `PUT /notifications`: `{"email": "...", "mode": "instant" | "daily" | "off"}`.
pub(super) async fn set_notifications(
    s: &Staff<'_>,
    Json(body): Json<NotificationsBody>,
) -> Answer {
    let recipient = s
        .portal
        .set_staff_notifications(&s.ctx, &body.email, body.mode)
        .await?;
    Ok(Response::json(200, &recipient))
}

/// `PUT /notifications`: where and how often.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NotificationsBody {
    email: String,
    mode: crate::staff_notice::StaffNotifyMode,
}

/// `GET /contacts/{contact}/messages`: the newest 100, with their attempts.
pub(super) async fn messages(s: &Staff<'_>, contact: &str) -> Answer {
    let messages = s
        .portal
        .contact_messages(&s.ctx, parse_id(contact)?, 100)
        .await?;
    Ok(Response::json(200, &messages))
}

/// `GET /contacts/{contact}/access-log`.
pub(super) async fn access_log(s: &Staff<'_>, contact: &str) -> Answer {
    let events = s.portal.access_log(&s.ctx, parse_id(contact)?, 500).await?;
    Ok(Response::json(200, &responses::audit_entries(&events)))
}

/// `GET /audit`, filtered by `contact_id`, from after `after`, at most `limit`.
pub(super) async fn audit(s: &Staff<'_>) -> Answer {
    let query = Query::of(s.req)?.only(&["contact_id", "after", "limit"])?;
    let who = query.parsed::<ContactId>("contact_id")?;
    let after = query.parsed("after")?.unwrap_or(0);
    let limit = query.parsed("limit")?.unwrap_or(500);
    let events = s.portal.audit_log(&s.ctx, who, after, limit).await?;
    Ok(Response::json(200, &responses::audit_entries(&events)))
}

/// `GET /audit/verify`.
pub(super) async fn verify_audit(s: &Staff<'_>) -> Answer {
    let check = match s.portal.verify_audit_chain(s.ctx.firm).await? {
        Ok(()) => ChainCheck {
            intact: true,
            problem: None,
        },
        Err(b) => ChainCheck {
            intact: false,
            problem: Some(b.to_string()),
        },
    };
    Ok(Response::json(200, &check))
}

/// `GET /clients`.
pub(super) async fn clients(s: &Staff<'_>) -> Answer {
    let clients = s.portal.clients(s.ctx.firm).await?;
    let views: Vec<_> = clients.iter().map(ClientView::from).collect();
    Ok(Response::json(200, &views))
}

/// `POST /clients`.
pub(super) async fn create_client(s: &Staff<'_>, Json(body): Json<NewClientBody>) -> Answer {
    let client = s.portal.create_client(s.ctx.firm, &body.name).await?;
    Ok(Response::json(201, &ClientView::from(&client)))
}

/// `POST /contacts`: whom to invite to which clients.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewContactBody {
    email: String,
    first_name: String,
    client_ids: Vec<String>,
    #[serde(default, deserialize_with = "strict::present")]
    permissions: Option<Vec<String>>,
    /// With its country code, as typed; left out, a contact found keeps its number.
    #[serde(default, deserialize_with = "strict::present")]
    phone: Option<String>,
}

/// `PUT /contacts/{id}/phone`: the number as typed, or `null` to clear it. The key is
/// required (no `default`), so that a body that forgot it clears nothing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PhoneBody {
    #[serde(deserialize_with = "Option::deserialize")]
    phone: Option<String>,
}

/// `PUT /contacts/{id}/grants/{client}`: the grant's permissions (all when left out).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GrantBody {
    #[serde(default, deserialize_with = "strict::present")]
    permissions: Option<Vec<String>>,
}

/// `POST /clients`: the client's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewClientBody {
    name: String,
}

/// Client ids of an invitation: one that is not an id is a client that does not exist.
fn ids(list: &[String]) -> Result<Vec<ClientId>, WebError> {
    list.iter().map(|s| parse_id(s)).collect()
}

fn permissions(names: Option<Vec<String>>) -> Result<Permissions, WebError> {
    match names {
        None => Ok(Permissions::ALL),
        Some(names) => Permissions::from_names(names.iter().map(String::as_str))
            .map_err(|e| WebError::BadInput(format!("permissions: {e}"))),
    }
}
