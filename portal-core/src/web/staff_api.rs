//! The staff API's front door: a request under its mount path checked (origin, body
//! size, the host's staff authentication) and dispatched through
//! [`routes::STAFF`](super::routes::STAFF) to its handler in
//! [`staff_routes`](super::staff_routes).

use super::errors::{self, WebError};
use super::portal_web::PortalWeb;
use super::request::Request;
use super::response::Response;
use super::responses::Failure;
use super::routing::{Answer, Lookup, find};
use super::staff_routes::Staff;
use super::{guard, routes};
use crate::staff::StaffContext;

impl PortalWeb {
    /// Answers a request under the staff API's mount path.
    pub async fn handle_staff(&self, mut req: Request) -> Response {
        let is_head = req.head_as_get();
        let mut resp = match self.staff_answer(&req).await {
            Ok(r) => r,
            Err(e) => errors::json_response(&e),
        };
        guard::apply_security_headers(&mut resp, true, self.firm().public_url.is_https());
        if is_head {
            resp.drop_body();
        }
        resp
    }

    async fn staff_answer(&self, req: &Request) -> Answer {
        let Some(rest) = super::dispatch::below_mount(&req.path, self.staff_mount_path()) else {
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
            let failure = Failure {
                error: "Staff authentication required",
            };
            return Ok(Response::json(401, &failure).with_header("www-authenticate", "Bearer"));
        };
        let mut s = Staff {
            req,
            mount: self.staff_mount_path(),
            portal: self.portal(),
            ctx: StaffContext {
                firm: self.firm_id(),
                staff,
                request: self.request_info(req),
            },
        };
        match find(routes::STAFF, req.method, rest) {
            Lookup::Route(route, params) => route.handler.call(&mut s, route.rules, params)?.await,
            // The staff API has always answered 404 to a method its path does not have,
            // unlike the portal's 405: kept, so that its clients see no change.
            Lookup::WrongMethod(_) | Lookup::NotFound => Err(WebError::NotFound),
        }
    }
}
