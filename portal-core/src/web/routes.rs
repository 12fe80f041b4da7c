//! Every route of the web layer, one table per surface: the portal's (pages, the client
//! API, assets) and the staff API's. Dispatch, 405 answers and the adapters' fixed
//! paths are read from these tables (see [`routing`](super::routing)).

use std::future::ready;

use super::assets::{credential_script, icon, signature_script, stylesheet, theme};
use super::context::Ctx;
use super::errors::WebError;
use super::form::Form;
use super::kind::Kind;
use super::method::Method::*;
use super::request::Request;
use super::routing::{Handler, Route, Surface, Upload, UploadCsrf};
use super::staff_routes::{self as staff, Staff};
use super::staff_task_routes as staff_tasks;
use super::{
    app_routes as app, conversation_pages, conversation_routes as conversation,
    credential_routes as credentials, document_routes as documents, login_routes as login,
    page_routes as pages, signature_routes as signatures, task_routes as tasks,
};

/// The paths below the mount path that have no variable segment, e.g. `/api/me`, read
/// from the portal's route table.
///
/// Every path below the mount path goes to [`PortalWeb::handle`](super::PortalWeb::handle), which routes it; an
/// adapter whose framework pays for capturing a wildcard segment (axum percent-decodes
/// and stores it) routes these exactly as well.
pub const FIXED_PATHS: [&str; super::routing::fixed_count(PORTAL)] =
    super::routing::fixed_paths(PORTAL);

/// The portal: its pages, its client API under `/api/` and its assets.
pub(super) struct Portal;

/// Who may call a portal route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// Anyone: the login pages and the assets (the home page sends a visitor without a
    /// session to log in itself).
    Anyone,
    /// A contact with a session: 401 without one (a page sends the visitor to log in).
    Session,
    /// A contact with a session that shows its CSRF token, in the `X-CSRF-Token` header
    /// or the body's `csrf_token` field: 403 without it. A staff preview session is
    /// refused too (403, "read-only preview"): it changes nothing. Every route that
    /// changes something for the contact has this access.
    Csrf,
    /// As [`Access::Csrf`], but a staff preview passes: only for the routes that change
    /// the session itself and nothing of the contact's (logout, which ends the
    /// preview; the client switch, which moves only the preview's own view).
    CsrfEvenPreview,
}

/// What a portal route says about itself besides its method and path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rules {
    /// How it answers, errors included.
    pub(super) kind: Kind,
    /// Who may call it.
    pub(super) access: Access,
}

const fn page(access: Access) -> Rules {
    Rules {
        kind: Kind::Page,
        access,
    }
}

const fn api(access: Access) -> Rules {
    Rules {
        kind: Kind::Api,
        access,
    }
}

const ASSET: Rules = Rules {
    kind: Kind::Asset,
    access: Access::Anyone,
};

impl Surface for Portal {
    type Ctx<'r> = Ctx<'r>;
    type Rules = Rules;

    fn request<'c>(ctx: &'c Ctx<'_>) -> &'c Request {
        ctx.req
    }

    fn guard(ctx: &Ctx<'_>, rules: Rules, in_body: Option<&str>) -> Result<(), WebError> {
        match rules.access {
            Access::Anyone => Ok(()),
            Access::Session => ctx.require_auth().map(drop),
            Access::Csrf => ctx.check_csrf(in_body).and_then(Ctx::refuse_preview),
            Access::CsrfEvenPreview => ctx.check_csrf(in_body).map(drop),
        }
    }

    fn upload_guard(ctx: &Ctx<'_>, rules: Rules) -> Result<UploadCsrf, WebError> {
        let (auth, preview_passes) = match rules.access {
            Access::Anyone | Access::Session => {
                return Portal::guard(ctx, rules, None).map(|()| UploadCsrf::Checked);
            }
            Access::Csrf => (ctx.require_auth()?, false),
            Access::CsrfEvenPreview => (ctx.require_auth()?, true),
        };
        if !preview_passes {
            Ctx::refuse_preview(auth)?;
        }
        match ctx.req.header_value("x-csrf-token") {
            Some(token) if auth.csrf_matches(token) => Ok(UploadCsrf::Checked),
            Some(_) => Err(WebError::Csrf),
            None => Ok(UploadCsrf::FirstField),
        }
    }

    fn csrf_matches(ctx: &Ctx<'_>, presented: &str) -> bool {
        ctx.auth.as_ref().is_some_and(|a| a.csrf_matches(presented))
    }
}

/// The portal's routes. What every page view asks for comes first (`/api/me`, then the
/// assets): the first route that matches ends the search.
pub(super) const PORTAL: &[Route<Portal>] = &[
    Route {
        method: Get,
        path: "/api/me",
        rules: api(Access::Session),
        handler: &Handler(|ctx, _, ()| Box::pin(app::api_me(ctx))),
    },
    Route {
        method: Get,
        path: "/assets/portal.css",
        rules: ASSET,
        handler: &Handler(|_, _, ()| Box::pin(ready(Ok(stylesheet())))),
    },
    Route {
        method: Get,
        path: "/assets/signature.js",
        rules: ASSET,
        handler: &Handler(|_, _, ()| Box::pin(ready(Ok(signature_script())))),
    },
    Route {
        method: Get,
        path: "/assets/credential.js",
        rules: ASSET,
        handler: &Handler(|_, _, ()| Box::pin(ready(Ok(credential_script())))),
    },
    Route {
        method: Get,
        path: "/assets/icon.svg",
        rules: ASSET,
        handler: &Handler(|ctx, _, ()| Box::pin(ready(Ok(icon(ctx))))),
    },
    Route {
        method: Get,
        path: "/assets/theme.css",
        rules: ASSET,
        handler: &Handler(|ctx, _, ()| Box::pin(ready(Ok(theme(ctx))))),
    },
    Route {
        method: Get,
        path: "/api/clients/{client}/tasks",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [client, _], ()| Box::pin(app::client_tasks(ctx, client))),
    },
    Route {
        method: Post,
        path: "/api/switch",
        rules: api(Access::CsrfEvenPreview),
        handler: &Handler(|ctx, _, body| Box::pin(app::api_switch(ctx, body))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/complete",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| {
            Box::pin(app::task_action(ctx, task, app::TaskAction::Complete, body))
        }),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/uncomplete",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| {
            Box::pin(app::task_action(
                ctx,
                task,
                app::TaskAction::Uncomplete,
                body,
            ))
        }),
    },
    Route {
        method: Get,
        path: "/api/clients/{client}/phases",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [client, _], ()| Box::pin(tasks::client_phases(ctx, client))),
    },
    Route {
        method: Get,
        path: "/api/tasks/{task}",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(tasks::task(ctx, task))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/answer",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| Box::pin(tasks::answer(ctx, task, body))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/form",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| Box::pin(tasks::form(ctx, task, body))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/decision",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| Box::pin(tasks::decision(ctx, task, body))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/watched",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| Box::pin(tasks::watched(ctx, task, body))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/checklist/{item}",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, item], body| {
            Box::pin(tasks::checklist_item(ctx, task, item, body))
        }),
    },
    Route {
        method: Get,
        path: "/api/tasks/{task}/documents",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(documents::request(ctx, task))),
    },
    Route {
        method: Get,
        path: "/api/clients/{client}/documents",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [client, _], ()| Box::pin(documents::documents(ctx, client))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/files",
        rules: api(Access::Csrf),
        handler: &Upload(|ctx, [task, _], uploads| Box::pin(documents::upload(ctx, task, uploads))),
    },
    Route {
        method: Get,
        path: "/api/files/{file}",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [file, _], ()| Box::pin(documents::download(ctx, file))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/sign",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| Box::pin(signatures::sign(ctx, task, body))),
    },
    Route {
        method: Get,
        path: "/api/tasks/{task}/signature",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(signatures::verify(ctx, task))),
    },
    Route {
        method: Get,
        path: "/api/tasks/{task}/drop",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(documents::file_drop(ctx, task))),
    },
    Route {
        method: Post,
        path: "/api/files/{file}/delete",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [file, _], body| {
            Box::pin(documents::delete_dropped(ctx, file, body))
        }),
    },
    Route {
        method: Post,
        path: "/api/uploads/{upload}/withdraw",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [upload, _], body| {
            Box::pin(documents::withdraw(ctx, upload, body))
        }),
    },
    Route {
        method: Get,
        path: "/api/tasks/{task}/credential",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(credentials::status(ctx, task))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/credential",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| Box::pin(credentials::submit(ctx, task, body))),
    },
    Route {
        method: Get,
        path: "/api/tasks/{task}/comments",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(conversation::comments(ctx, task))),
    },
    Route {
        method: Post,
        path: "/api/tasks/{task}/comments",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, [task, _], body| Box::pin(conversation::comment(ctx, task, body))),
    },
    Route {
        method: Post,
        path: "/api/questions",
        rules: api(Access::Csrf),
        handler: &Handler(|ctx, _, body| Box::pin(conversation::ask(ctx, body))),
    },
    Route {
        method: Get,
        path: "/api/clients/{client}/activity",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [client, _], ()| Box::pin(conversation::activity(ctx, client))),
    },
    Route {
        method: Get,
        path: "/api/tasks/{task}/invite.ics",
        rules: api(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(tasks::invite_ics(ctx, task))),
    },
    Route {
        method: Get,
        path: "/",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, ()| Box::pin(pages::home(ctx))),
    },
    Route {
        method: Get,
        path: "/progress",
        rules: page(Access::Session),
        handler: &Handler(|ctx, _, ()| Box::pin(pages::progress(ctx))),
    },
    Route {
        method: Get,
        path: "/approvals",
        rules: page(Access::Session),
        handler: &Handler(|ctx, _, ()| Box::pin(pages::approvals(ctx))),
    },
    Route {
        method: Get,
        path: "/documents",
        rules: page(Access::Session),
        handler: &Handler(|ctx, _, ()| Box::pin(pages::documents(ctx))),
    },
    Route {
        method: Get,
        path: "/activity",
        rules: page(Access::Session),
        handler: &Handler(|ctx, _, ()| Box::pin(conversation_pages::activity(ctx))),
    },
    Route {
        method: Get,
        path: "/ask",
        rules: page(Access::Session),
        handler: &Handler(|ctx, _, ()| Box::pin(conversation_pages::ask(ctx))),
    },
    Route {
        method: Get,
        path: "/tasks/{task}/signature",
        rules: page(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(pages::signature(ctx, task))),
    },
    Route {
        method: Get,
        path: "/tasks/{task}",
        rules: page(Access::Session),
        handler: &Handler(|ctx, [task, _], ()| Box::pin(pages::task(ctx, task))),
    },
    Route {
        method: Get,
        path: "/login",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, ()| Box::pin(login::login_page(ctx))),
    },
    Route {
        method: Post,
        path: "/login/link",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::request_link(ctx, form))),
    },
    Route {
        method: Post,
        path: "/login/code",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::request_code(ctx, form))),
    },
    Route {
        method: Post,
        path: "/login/code/verify",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::verify_code(ctx, form))),
    },
    Route {
        method: Post,
        path: "/login/code/resend",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::resend_code(ctx, form))),
    },
    Route {
        method: Post,
        path: "/login/password",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::password_login(ctx, form))),
    },
    Route {
        method: Get,
        path: "/auth/link/{token}",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, [token, _], ()| Box::pin(login::confirm_link(ctx, token))),
    },
    Route {
        method: Post,
        path: "/auth/link",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::redeem_link(ctx, form))),
    },
    Route {
        method: Get,
        path: "/preview/{token}",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, [token, _], ()| Box::pin(login::confirm_preview(ctx, token))),
    },
    Route {
        method: Post,
        path: "/preview",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::redeem_preview(ctx, form))),
    },
    Route {
        method: Get,
        path: "/c/{token}",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, [token, _], ()| Box::pin(login::personal_link(ctx, token))),
    },
    Route {
        method: Post,
        path: "/c/{token}",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, [token, _], ()| Box::pin(login::personal_link_request(ctx, token))),
    },
    Route {
        method: Get,
        path: "/password/forgot",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, ()| Box::pin(login::forgot_password_page(ctx))),
    },
    Route {
        method: Post,
        path: "/password/forgot",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, _, form| Box::pin(login::forgot_password(ctx, form))),
    },
    Route {
        method: Get,
        path: "/password/set/{token}",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, [token, _], ()| Box::pin(login::set_password_page(ctx, token))),
    },
    Route {
        method: Post,
        path: "/password/set/{token}",
        rules: page(Access::Anyone),
        handler: &Handler(|ctx, [token, _], form| Box::pin(login::set_password(ctx, token, form))),
    },
    Route {
        method: Post,
        path: "/logout",
        rules: page(Access::CsrfEvenPreview),
        handler: &Handler(|ctx, _, _: Form| Box::pin(login::logout(ctx))),
    },
    // For tests only (see `upload_probe`): no production route is an upload yet.
    #[cfg(any(test, feature = "testing"))]
    Route {
        method: Post,
        path: "/api/__test/upload",
        rules: api(Access::Csrf),
        handler: &Upload(|ctx, _, uploads| Box::pin(super::upload_probe::echo(ctx, uploads))),
    },
];

/// The staff API. Staff authentication covers all of it, and is checked before routing,
/// so that a caller without it learns nothing of its paths: its routes have no rules of
/// their own.
pub(super) struct StaffApi;

impl Surface for StaffApi {
    type Ctx<'r> = Staff<'r>;
    type Rules = ();

    fn request<'c>(ctx: &'c Staff<'_>) -> &'c Request {
        ctx.req
    }

    fn guard(_: &Staff<'_>, (): (), _: Option<&str>) -> Result<(), WebError> {
        Ok(())
    }

    /// Staff authenticate with a bearer token, which no other site can make a browser
    /// send: no CSRF token to look for.
    fn upload_guard(_: &Staff<'_>, (): ()) -> Result<UploadCsrf, WebError> {
        Ok(UploadCsrf::Checked)
    }

    fn csrf_matches(_: &Staff<'_>, _: &str) -> bool {
        false
    }
}

/// The staff API's routes.
pub(super) const STAFF: &[Route<StaffApi>] = &[
    Route {
        method: Get,
        path: "/status",
        rules: (),
        handler: &Handler(|s, _, ()| Box::pin(staff::status(s))),
    },
    Route {
        method: Get,
        path: "/contacts",
        rules: (),
        handler: &Handler(|s, _, ()| Box::pin(staff::contacts(s))),
    },
    Route {
        method: Post,
        path: "/contacts",
        rules: (),
        handler: &Handler(|s, _, body| Box::pin(staff::invite(s, body))),
    },
    Route {
        method: Get,
        path: "/contacts/{contact}",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::contact(s, contact))),
    },
    Route {
        method: Delete,
        path: "/contacts/{contact}",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::revoke_contact(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/magic-link",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::magic_link(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/login-email",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::login_email(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/personal-link",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::personal_link(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/password-link",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::password_link(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/revoke",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::revoke_access(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/suspend",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::suspend(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/unsuspend",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::unsuspend(s, contact))),
    },
    Route {
        method: Post,
        path: "/contacts/{contact}/preview",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::preview(s, contact))),
    },
    Route {
        method: Get,
        path: "/contacts/{contact}/sessions",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::sessions(s, contact))),
    },
    Route {
        method: Delete,
        path: "/contacts/{contact}/sessions/{session}",
        rules: (),
        handler: &Handler(|s, [contact, session], ()| {
            Box::pin(staff::revoke_session(s, contact, session))
        }),
    },
    Route {
        method: Put,
        path: "/contacts/{contact}/grants/{client}",
        rules: (),
        handler: &Handler(|s, [contact, client], body| {
            Box::pin(staff::grant(s, contact, client, body))
        }),
    },
    Route {
        method: Put,
        path: "/contacts/{contact}/phone",
        rules: (),
        handler: &Handler(|s, [contact, _], body| Box::pin(staff::set_phone(s, contact, body))),
    },
    Route {
        method: Delete,
        path: "/contacts/{contact}/grants/{client}",
        rules: (),
        handler: &Handler(|s, [contact, client], ()| Box::pin(staff::ungrant(s, contact, client))),
    },
    Route {
        method: Put,
        path: "/contacts/{contact}/reminders",
        rules: (),
        handler: &Handler(|s, [contact, _], body| {
            Box::pin(staff::pause_reminders(s, contact, body))
        }),
    },
    Route {
        method: Get,
        path: "/contacts/{contact}/messages",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::messages(s, contact))),
    },
    Route {
        method: Get,
        path: "/contacts/{contact}/access-log",
        rules: (),
        handler: &Handler(|s, [contact, _], ()| Box::pin(staff::access_log(s, contact))),
    },
    Route {
        method: Get,
        path: "/notifications",
        rules: (),
        handler: &Handler(|s, _, ()| Box::pin(staff::notifications(s))),
    },
    Route {
        method: Put,
        path: "/notifications",
        rules: (),
        handler: &Handler(|s, _, body| Box::pin(staff::set_notifications(s, body))),
    },
    Route {
        method: Get,
        path: "/audit",
        rules: (),
        handler: &Handler(|s, _, ()| Box::pin(staff::audit(s))),
    },
    Route {
        method: Get,
        path: "/audit/verify",
        rules: (),
        handler: &Handler(|s, _, ()| Box::pin(staff::verify_audit(s))),
    },
    Route {
        method: Get,
        path: "/clients",
        rules: (),
        handler: &Handler(|s, _, ()| Box::pin(staff::clients(s))),
    },
    Route {
        method: Post,
        path: "/clients",
        rules: (),
        handler: &Handler(|s, _, body| Box::pin(staff::create_client(s, body))),
    },
    Route {
        method: Get,
        path: "/clients/{client}/tasks",
        rules: (),
        handler: &Handler(|s, [client, _], ()| Box::pin(staff_tasks::tasks(s, client))),
    },
    Route {
        method: Post,
        path: "/clients/{client}/tasks",
        rules: (),
        handler: &Handler(|s, [client, _], body| {
            Box::pin(staff_tasks::create_task(s, client, body))
        }),
    },
    Route {
        method: Post,
        path: "/clients/{client}/tasks/order",
        rules: (),
        handler: &Handler(|s, [client, _], body| {
            Box::pin(staff_tasks::reorder_tasks(s, client, body))
        }),
    },
    Route {
        method: Get,
        path: "/tasks/{task}",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(staff_tasks::task(s, task))),
    },
    Route {
        method: Patch,
        path: "/tasks/{task}",
        rules: (),
        handler: &Handler(|s, [task, _], body| Box::pin(staff_tasks::edit_task(s, task, body))),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/withdraw",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(staff_tasks::withdraw(s, task))),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/status",
        rules: (),
        handler: &Handler(|s, [task, _], body| Box::pin(staff_tasks::set_status(s, task, body))),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/complete",
        rules: (),
        handler: &Handler(|s, [task, _], body| Box::pin(staff_tasks::complete(s, task, body))),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/checklist/{item}",
        rules: (),
        handler: &Handler(|s, [task, item], body| {
            Box::pin(staff_tasks::check_item(s, task, item, body))
        }),
    },
    Route {
        method: Get,
        path: "/tasks/{task}/uploads",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(documents::staff_request(s, task))),
    },
    Route {
        method: Post,
        path: "/clients/{client}/files",
        rules: (),
        handler: &Upload(|s, [client, _], uploads| {
            Box::pin(documents::publish(s, client, uploads))
        }),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/document",
        rules: (),
        handler: &Upload(|s, [task, _], uploads| Box::pin(documents::attach(s, task, uploads))),
    },
    Route {
        method: Get,
        path: "/files/{file}",
        rules: (),
        handler: &Handler(|s, [file, _], ()| Box::pin(documents::staff_download(s, file))),
    },
    Route {
        method: Get,
        path: "/tasks/{task}/signature",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(signatures::staff_verify(s, task))),
    },
    Route {
        method: Get,
        path: "/tasks/{task}/drop",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(documents::staff_drop(s, task))),
    },
    Route {
        method: Get,
        path: "/tasks/{task}/credential",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(credentials::staff_status(s, task))),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/credential/reveal",
        rules: (),
        handler: &Handler(|s, [task, _], body| Box::pin(credentials::reveal(s, task, body))),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/credential/purge",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(credentials::purge(s, task))),
    },
    Route {
        method: Get,
        path: "/tasks/{task}/comments",
        rules: (),
        handler: &Handler(|s, [task, _], ()| Box::pin(conversation::staff_comments(s, task))),
    },
    Route {
        method: Post,
        path: "/tasks/{task}/comments",
        rules: (),
        handler: &Handler(|s, [task, _], body| {
            Box::pin(conversation::staff_comment(s, task, body))
        }),
    },
    Route {
        method: Get,
        path: "/questions",
        rules: (),
        handler: &Handler(|s, _, ()| Box::pin(conversation::staff_questions(s))),
    },
    Route {
        method: Get,
        path: "/clients/{client}/activity",
        rules: (),
        handler: &Handler(|s, [client, _], ()| Box::pin(conversation::staff_activity(s, client))),
    },
    Route {
        method: Post,
        path: "/vault/rotate",
        rules: (),
        handler: &Handler(|s, _, body| Box::pin(credentials::rotate(s, body))),
    },
    Route {
        method: Post,
        path: "/uploads/{upload}/review",
        rules: (),
        handler: &Handler(|s, [upload, _], body| Box::pin(documents::review(s, upload, body))),
    },
    Route {
        method: Get,
        path: "/clients/{client}/phases",
        rules: (),
        handler: &Handler(|s, [client, _], ()| Box::pin(staff_tasks::phases(s, client))),
    },
    Route {
        method: Post,
        path: "/clients/{client}/phases",
        rules: (),
        handler: &Handler(|s, [client, _], body| {
            Box::pin(staff_tasks::create_phase(s, client, body))
        }),
    },
    Route {
        method: Post,
        path: "/clients/{client}/phases/order",
        rules: (),
        handler: &Handler(|s, [client, _], body| {
            Box::pin(staff_tasks::reorder_phases(s, client, body))
        }),
    },
    Route {
        method: Patch,
        path: "/phases/{phase}",
        rules: (),
        handler: &Handler(|s, [phase, _], body| {
            Box::pin(staff_tasks::rename_phase(s, phase, body))
        }),
    },
];

#[cfg(test)]
mod tests {
    use super::super::FIXED_PATHS;
    use super::super::method::Method;
    use super::super::routing::{Lookup, Route, Surface, find};
    use super::*;

    /// The route's pattern with each name replaced by a value.
    fn sample(pattern: &str) -> String {
        pattern
            .split('/')
            .map(|part| if part.starts_with('{') { "x" } else { part })
            .collect::<Vec<_>>()
            .join("/")
    }

    fn routed<S: Surface>(table: &'static [Route<S>], method: Method, path: &str) -> Option<usize> {
        match find(table, method, path) {
            Lookup::Route(route, _) => table.iter().position(|r| std::ptr::eq(r, route)),
            Lookup::WrongMethod(_) | Lookup::NotFound => None,
        }
    }

    fn allowed<S: Surface>(table: &'static [Route<S>], method: Method, path: &str) -> String {
        match find(table, method, path) {
            Lookup::WrongMethod(allow) => allow.to_string(),
            Lookup::Route(..) => "routed".into(),
            Lookup::NotFound => "not found".into(),
        }
    }

    fn every_route_is_reached_by_its_own_method_and_path<S: Surface>(table: &'static [Route<S>]) {
        for (i, route) in table.iter().enumerate() {
            let path = sample(route.path);
            assert_eq!(
                routed(table, route.method, &path),
                Some(i),
                "{:?} {path}",
                route.method
            );
            if let Lookup::Route(_, params) = find(table, route.method, &path) {
                let names = route.path.matches('{').count();
                assert!(params[..names].iter().all(|p| *p == "x"), "{}", route.path);
            }
        }
    }

    #[test]
    fn every_route_of_both_tables_is_reached_by_its_own_method_and_path() {
        every_route_is_reached_by_its_own_method_and_path(PORTAL);
        every_route_is_reached_by_its_own_method_and_path(STAFF);
    }

    #[test]
    fn every_fixed_path_is_routed_and_every_route_without_a_name_is_fixed() {
        for path in FIXED_PATHS {
            assert!(
                PORTAL
                    .iter()
                    .any(|r| routed(PORTAL, r.method, path).is_some()),
                "{path:?} is not routed"
            );
        }
        for route in PORTAL.iter().filter(|r| !r.path.contains('{')) {
            assert!(FIXED_PATHS.contains(&route.path), "{}", route.path);
        }
        assert!(FIXED_PATHS.contains(&""), "the mount path itself");
        let mut unique = FIXED_PATHS.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), FIXED_PATHS.len(), "each path once");
    }

    #[test]
    fn a_path_with_routes_for_other_methods_lists_them() {
        assert_eq!(allowed(PORTAL, Method::Post, "/"), "GET, HEAD");
        assert_eq!(allowed(PORTAL, Method::Put, "/login"), "GET, HEAD");
        assert_eq!(allowed(PORTAL, Method::Get, "/logout"), "POST");
        assert_eq!(
            allowed(PORTAL, Method::Delete, "/password/forgot"),
            "GET, HEAD, POST"
        );
        assert_eq!(allowed(PORTAL, Method::Put, "/c/abc"), "GET, HEAD, POST");
        assert_eq!(allowed(PORTAL, Method::Other, "/api/me"), "GET, HEAD");
        assert_eq!(
            allowed(STAFF, Method::Post, "/contacts/x/grants/y"),
            "PUT, DELETE"
        );
    }

    #[test]
    fn paths_that_no_route_has_are_not_found() {
        for path in [
            "/nope",
            "/api",
            "/api/",
            "/api/nope",
            "/api/me/x",
            "/login/",
            "/login/x",
            "/auth/link/a/b",
            "/c",
            "//api/me",
            "/api//me",
            "/a/b/c/d/e/f/g/h/i",
            "/assets/nope",
        ] {
            assert_eq!(allowed(PORTAL, Method::Get, path), "not found", "{path}");
        }
        assert_eq!(allowed(STAFF, Method::Get, ""), "not found");
        assert_eq!(allowed(STAFF, Method::Get, "/"), "not found");
    }

    #[test]
    fn every_route_that_changes_something_for_a_session_refuses_a_preview() {
        // A route that changes state either needs no session (the login steps, which
        // start a new one) or takes the session's CSRF token; of those, only logout
        // and the client switch let a staff preview through. A new state-changing
        // route must pick one of these on purpose.
        let even_preview = ["/logout", "/api/switch"];
        for route in PORTAL.iter().filter(|r| r.method != Get) {
            match route.rules.access {
                Access::Csrf => assert!(!even_preview.contains(&route.path)),
                Access::CsrfEvenPreview => {
                    assert!(even_preview.contains(&route.path), "{}", route.path);
                }
                Access::Anyone => assert!(
                    route.path.starts_with("/login")
                        || route.path.starts_with("/auth/")
                        || route.path.starts_with("/password/")
                        || route.path.starts_with("/c/")
                        || route.path == "/preview",
                    "{} changes state without a session",
                    route.path
                ),
                Access::Session => panic!("{} changes state without CSRF", route.path),
            }
        }
    }

    #[test]
    fn a_route_has_the_kind_of_its_namespace() {
        // So that a path no route has is answered like the routes beside it.
        for route in PORTAL {
            assert_eq!(
                route.rules.kind,
                Kind::of_path(route.path),
                "{}",
                route.path
            );
        }
    }
}
