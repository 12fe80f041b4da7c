//! The staff JSON API (SPEC section 6, `/admin/api`): the staff operations of
//! `portal_core::staff` over HTTP, behind a host-supplied [`StaffAuthenticator`].

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{self, WebError};
use super::http::{Request, Response};
use super::strict::{self, Query};
use super::{PortalWeb, guard};
use crate::grant::Permissions;
use crate::id::{ClientId, ContactId, SessionId, StaffId};
use crate::staff::{Invitation, StaffContext};
use crate::task::{Evidence, NewTask, Side};
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

type Answer = Result<Response, WebError>;

impl PortalWeb {
    /// Answers a request under the staff API's mount path.
    pub async fn handle_staff(&self, mut req: Request) -> Response {
        let is_head = req.head_as_get();
        let mut resp = match self.staff_inner(&req).await {
            Ok(r) => r,
            Err(e) => errors::json_response(&e),
        };
        guard::apply_security_headers(&mut resp, true, self.firm().public_url.is_https());
        if is_head {
            resp.body.clear();
        }
        resp
    }

    async fn staff_inner(&self, req: &Request) -> Answer {
        let Some(rest) = super::below_mount(&req.path, self.staff_mount_path()) else {
            return Err(WebError::NotFound);
        };
        let Some(auth) = &self.inner.staff_auth else {
            return Err(WebError::NotFound);
        };
        if !guard::same_origin(req, self.firm().public_url.origin()) {
            return Err(WebError::CrossSite);
        }
        if req.oversized || req.body.len() > self.body_limit(req) {
            return Err(WebError::TooLarge);
        }
        let Some(staff) = auth.authenticate(req).await else {
            return Ok(
                Response::json(401, &json!({"error": "Staff authentication required"}))
                    .with_header("www-authenticate", "Bearer"),
            );
        };
        let ctx = StaffContext {
            firm: self.firm_id(),
            staff,
            request: self.request_info(req),
        };
        let segments = super::http::Segments::of(rest).ok_or(WebError::NotFound)?;
        let p = self.portal();
        match (req.method.as_str(), &*segments) {
            ("GET", ["status"]) => Ok(Response::json(200, &json!({"hashing": p.hashing_load()}))),
            ("GET", ["contacts"]) => Ok(Response::json(200, &json!(p.list_contacts(&ctx).await?))),
            ("POST", ["contacts"]) => {
                let body: NewContactBody = json_body(req)?;
                let invitation = Invitation {
                    email: body.email,
                    first_name: body.first_name,
                    client_ids: ids(&body.client_ids)?,
                    permissions: permissions(body.permissions)?,
                };
                Ok(Response::json(
                    201,
                    &json!(p.invite(&ctx, invitation).await?),
                ))
            }
            ("GET", ["contacts", id]) => Ok(Response::json(
                200,
                &json!(p.contact_summary(&ctx, contact(id)?).await?),
            )),
            ("DELETE", ["contacts", id]) => {
                p.revoke_contact(&ctx, contact(id)?).await?;
                Ok(Response::json(200, &json!({"revoked": true})))
            }
            ("POST", ["contacts", id, "magic-link"]) => Ok(Response::json(
                200,
                &json!({"url": p.generate_magic_link(&ctx, contact(id)?).await?}),
            )),
            ("POST", ["contacts", id, "login-email"]) => {
                p.send_login_email(&ctx, contact(id)?).await?;
                Ok(Response::json(202, &json!({"sent": true})))
            }
            ("POST", ["contacts", id, "personal-link"]) => Ok(Response::json(
                200,
                &json!({"url": p.generate_personal_link(&ctx, contact(id)?).await?}),
            )),
            ("POST", ["contacts", id, "password-link"]) => {
                p.send_password_link(&ctx, contact(id)?).await?;
                Ok(Response::json(202, &json!({"sent": true})))
            }
            ("POST", ["contacts", id, "revoke"]) => {
                let n = p.revoke_access(&ctx, contact(id)?).await?;
                Ok(Response::json(200, &json!({"sessions_revoked": n})))
            }
            ("POST", ["contacts", id, "suspend"]) => {
                p.suspend_contact(&ctx, contact(id)?).await?;
                Ok(Response::json(200, &json!({"status": "suspended"})))
            }
            ("POST", ["contacts", id, "unsuspend"]) => {
                p.lift_suspension(&ctx, contact(id)?).await?;
                Ok(Response::json(200, &json!({"status": "active"})))
            }
            ("GET", ["contacts", id, "sessions"]) => {
                let sessions: Vec<Value> = p
                    .contact_sessions(&ctx, contact(id)?)
                    .await?
                    .iter()
                    .map(|summary| {
                        let s = &summary.session;
                        json!({"id": s.id.to_string(), "client_id": s.active_client, "created_at": s.created_at,
                               "last_renewed_at": s.renewed_at, "expires_at": s.expires_at(), "ip": summary.ip,
                               "user_agent": summary.user_agent})
                    })
                    .collect();
                Ok(Response::json(200, &json!(sessions)))
            }
            ("DELETE", ["contacts", id, "sessions", sid]) => {
                let sid: SessionId = sid.parse().map_err(|_| WebError::NotFound)?;
                p.revoke_session(&ctx, contact(id)?, sid).await?;
                Ok(Response::json(200, &json!({"revoked": true})))
            }
            ("PUT", ["contacts", id, "grants", client]) => {
                let body: GrantBody = json_body(req)?;
                let client: ClientId = client.parse().map_err(|_| WebError::NotFound)?;
                p.grant(&ctx, contact(id)?, client, permissions(body.permissions)?)
                    .await?;
                Ok(Response::json(
                    200,
                    &json!(p.contact_summary(&ctx, contact(id)?).await?),
                ))
            }
            ("DELETE", ["contacts", id, "grants", client]) => {
                let client: ClientId = client.parse().map_err(|_| WebError::NotFound)?;
                p.ungrant(&ctx, contact(id)?, client).await?;
                Ok(Response::json(
                    200,
                    &json!(p.contact_summary(&ctx, contact(id)?).await?),
                ))
            }
            ("GET", ["contacts", id, "access-log"]) => Ok(Response::json(
                200,
                &json!(p.access_log(&ctx, contact(id)?, 500).await?),
            )),
            ("GET", ["audit"]) => {
                let query = Query::of(req)?.only(&["contact_id", "after", "limit"])?;
                let who = query.parsed::<ContactId>("contact_id")?;
                let after = query.parsed("after")?.unwrap_or(0);
                let limit = query.parsed("limit")?.unwrap_or(500);
                Ok(Response::json(
                    200,
                    &json!(p.audit_log(&ctx, who, after, limit).await?),
                ))
            }
            ("GET", ["audit", "verify"]) => Ok(Response::json(
                200,
                &match p.verify_audit_chain(ctx.firm).await? {
                    Ok(()) => json!({"intact": true}),
                    Err(b) => json!({"intact": false, "problem": b.to_string()}),
                },
            )),
            ("GET", ["clients"]) => {
                let clients: Vec<Value> = p
                    .clients(ctx.firm)
                    .await?
                    .iter()
                    .map(|c| json!({"id": c.id, "name": c.name}))
                    .collect();
                Ok(Response::json(200, &json!(clients)))
            }
            ("GET", ["clients", client, "tasks"]) => {
                let client: ClientId = client.parse().map_err(|_| WebError::NotFound)?;
                Ok(Response::json(
                    200,
                    &json!(p.staff_tasks(&ctx, client).await?),
                ))
            }
            ("POST", ["clients", client, "tasks"]) => {
                let client: ClientId = client.parse().map_err(|_| WebError::NotFound)?;
                let body: NewTaskBody = json_body(req)?;
                let new = NewTask {
                    phase: body.phase,
                    title: body.title,
                    description: body.description.unwrap_or_default(),
                    due_on: body.due_on.map(|d| d.0),
                    assignee: body.assignee.unwrap_or(Side::Client),
                    evidence: Evidence::Standard,
                };
                Ok(Response::json(
                    201,
                    &json!(p.create_task(&ctx, client, new).await?),
                ))
            }
            ("POST", ["clients"]) => {
                let body: NewClientBody = json_body(req)?;
                let c = p.create_client(ctx.firm, &body.name).await?;
                Ok(Response::json(201, &json!({"id": c.id, "name": c.name})))
            }
            _ => Err(WebError::NotFound),
        }
    }
}

/// `POST /contacts`: whom to invite to which clients.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewContactBody {
    email: String,
    first_name: String,
    client_ids: Vec<String>,
    #[serde(default, deserialize_with = "strict::present")]
    permissions: Option<Vec<String>>,
}

/// `PUT /contacts/{id}/grants/{client}`: the grant's permissions (all when left out).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    #[serde(default, deserialize_with = "strict::present")]
    permissions: Option<Vec<String>>,
}

/// `POST /clients/{id}/tasks`: the task; its id, client, status and position are the
/// portal's to decide.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTaskBody {
    title: String,
    #[serde(default, deserialize_with = "strict::present")]
    phase: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    description: Option<String>,
    #[serde(default, deserialize_with = "strict::present")]
    due_on: Option<strict::Date>,
    #[serde(default, deserialize_with = "strict::present")]
    assignee: Option<Side>,
}

/// `POST /clients`: the client's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClientBody {
    name: String,
}

fn json_body<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, WebError> {
    if req.content_type().as_deref() != Some("application/json") {
        return Err(WebError::UnsupportedMediaType);
    }
    strict::json(&req.body)
}

/// Client ids of an invitation: one that is not an id is a client that does not exist.
fn ids(list: &[String]) -> Result<Vec<ClientId>, WebError> {
    list.iter()
        .map(|s| s.parse().map_err(|_| WebError::NotFound))
        .collect()
}

fn permissions(names: Option<Vec<String>>) -> Result<Permissions, WebError> {
    match names {
        None => Ok(Permissions::ALL),
        Some(names) => Permissions::from_names(names.iter().map(String::as_str))
            .map_err(|e| WebError::BadInput(format!("permissions: {e}"))),
    }
}

fn contact(id: &str) -> Result<ContactId, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}
