//! The bare axum twin of the example server for `benches/http/load.sh`: `/healthz`, and
//! `/portal/api/me` and `/whoami` answered with the bytes the portal answered them with
//! (captured in `$TWIN_DIR`), from constants, with no work: what the bytes alone cost.
//!
//! Beside them, three peers: `/peer/minimal`, the minimal session check;
//! `/peer/tower-sessions`, a session read through `tower-sessions` and its memory store;
//! and `/peer/tower-sessions/me`, the portal's `/api/me` as a host would build it on
//! `tower-sessions` (log in to both first with `POST /peer/tower-sessions/login`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use axum::routing::{get, post};
use portal_benches::{Captured, MinimalSessions};
use portal_core::random::OsSecretSource;
use portal_core::token::Token;
use serde::{Deserialize, Serialize};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let mut router = Router::new().route("/healthz", get(|| async { "ok" }));
    let captured = Captured::from_twin_dir();
    let directory = Directory::from_document(&captured[0].1.body);
    let me_headers = captured[0].1.headers.clone();
    for (path, captured) in captured {
        let (headers, body) =
            captured.leak(|n, v| (HeaderName::from_static(n), HeaderValue::from_static(v)));
        router = router.route(
            path,
            get(move || async move {
                let mut r = Response::new(Body::from(body));
                r.headers_mut().reserve(headers.len() + 1);
                for (n, v) in headers {
                    r.headers_mut().append(n.clone(), v.clone());
                }
                r
            }),
        );
    }
    let minimal = Arc::new(MinimalSessions::from_env());
    let router = router
        .route(
            "/peer/minimal",
            get(move |headers: HeaderMap| async move {
                if minimal.check(headers.get(header::COOKIE).map(HeaderValue::as_bytes)) {
                    (StatusCode::OK, "ok")
                } else {
                    (StatusCode::UNAUTHORIZED, "no session")
                }
            }),
        )
        .merge(tower_sessions_peer(directory, &me_headers));
    let addr = std::env::var("PORTAL_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    axum::serve(tokio::net::TcpListener::bind(addr).await?, router).await
}

/// A client as the host's database holds it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PeerClient {
    id: String,
    name: String,
    permissions: Vec<String>,
}

/// A contact as the host's database holds it.
#[derive(Clone, Debug, Deserialize)]
struct PeerContact {
    contact_id: String,
    email: String,
    first_name: String,
    clients: Vec<PeerClient>,
}

/// The host's database: the portal's contacts by id, seeded from the portal's own
/// `/api/me` document so that the peer answers the same data.
struct Directory(RwLock<HashMap<String, PeerContact>>);

impl Directory {
    #[allow(clippy::expect_used)] // the twin cannot serve the peer without it
    fn from_document(document: &str) -> Directory {
        let contact: PeerContact = serde_json::from_str(document).expect("the captured /api/me");
        Directory(RwLock::new(HashMap::from([(
            contact.contact_id.clone(),
            contact,
        )])))
    }

    fn contact(&self, id: &str) -> Option<PeerContact> {
        self.0.read().ok()?.get(id).cloned()
    }

    fn any_contact_id(&self) -> Option<String> {
        self.0.read().ok()?.keys().next().cloned()
    }
}

/// What the peer keeps in its session at login, as hosts of `tower-sessions` do.
#[derive(Serialize, Deserialize)]
struct PeerLogin {
    contact_id: String,
    active_client: String,
    csrf_token: String,
}

/// The portal's `/api/me` document.
#[derive(Serialize)]
struct PeerMe<'a> {
    contact_id: &'a str,
    email: &'a str,
    first_name: &'a str,
    active_client: &'a PeerClient,
    clients: &'a [PeerClient],
    csrf_token: &'a str,
}

async fn peer_login(directory: &Directory, session: Session) -> (StatusCode, &'static str) {
    let login = directory.any_contact_id().and_then(|id| {
        let contact = directory.contact(&id)?;
        let token = Token::generate(&OsSecretSource).ok()?;
        Some(PeerLogin {
            active_client: contact.clients.first()?.id.clone(),
            contact_id: id,
            csrf_token: token.expose_secret(),
        })
    });
    let Some(login) = login else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no contact");
    };
    // A new id at login, as a careful host does against fixation.
    let stored = async {
        session.cycle_id().await?;
        session.insert("n", 1_u64).await?;
        session.insert("login", login).await
    };
    match stored.await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "no session"),
    }
}

fn peer_me(
    directory: &Directory,
    headers: &[(HeaderName, HeaderValue)],
    login: Option<PeerLogin>,
) -> Response<Body> {
    let document = login.and_then(|login| {
        let contact = directory.contact(&login.contact_id)?;
        let active = contact
            .clients
            .iter()
            .find(|c| c.id == login.active_client)?;
        serde_json::to_vec(&PeerMe {
            contact_id: &contact.contact_id,
            email: &contact.email,
            first_name: &contact.first_name,
            active_client: active,
            clients: &contact.clients,
            csrf_token: &login.csrf_token,
        })
        .ok()
    });
    let Some(document) = document else {
        let mut r = Response::new(Body::from("no session"));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    };
    let mut r = Response::new(Body::from(document));
    r.headers_mut().extend(headers.iter().cloned());
    r
}

fn tower_sessions_peer(directory: Directory, me_headers: &[(String, String)]) -> Router {
    let directory = Arc::new(directory);
    let login_directory = directory.clone();
    // The portal's own security headers, so that the peer sends what the portal sends.
    let me_headers: Arc<[(HeaderName, HeaderValue)]> = me_headers
        .iter()
        .filter_map(|(n, v)| {
            Some((
                HeaderName::try_from(n).ok()?,
                HeaderValue::try_from(v).ok()?,
            ))
        })
        .collect();
    Router::new()
        .route(
            "/peer/tower-sessions/login",
            post(
                move |session: Session| async move { peer_login(&login_directory, session).await },
            ),
        )
        .route(
            "/peer/tower-sessions/me",
            get(move |session: Session| async move {
                let login = session.get::<PeerLogin>("login").await.ok().flatten();
                peer_me(&directory, &me_headers, login)
            }),
        )
        .route(
            "/peer/tower-sessions",
            get(|session: Session| async move {
                match session.get::<u64>("n").await {
                    Ok(Some(_)) => (StatusCode::OK, "ok"),
                    _ => (StatusCode::UNAUTHORIZED, "no session"),
                }
            }),
        )
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false))
}
