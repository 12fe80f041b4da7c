//! The login routes: pages and form posts, no JSON. Listed in
//! [`routes::PORTAL`](super::routes::PORTAL).

use super::context::Ctx;
use super::cookies::PortalCookie;
use super::errors::{WebError, status_and_message};
use super::form::Form;
use super::pages;
use super::response::Response;
use super::routing::Answer;
use super::strict::Query;
use crate::magic_link::LinkProblem;
use crate::magic_link::code_challenge_for;
use crate::personal_link::PersonalLinkView;
use crate::portal::login::{LoginError, LoginSuccess};
use crate::session::time_left;
use crate::token::Token;

fn field<'f>(form: &'f Form, name: &str) -> &'f str {
    form.get(name).unwrap_or_default()
}

/// The login page. Its query (`next`, `notice`) must decode; other parameters (a
/// campaign's tags on a link to it) are ignored.
pub(super) async fn login_page(ctx: &Ctx<'_>) -> Answer {
    let query = Query::of(ctx.req)?;
    let next = query.get("next")?;
    let page = pages::login(next);
    let page = match query.get("notice")? {
        Some("password_set") => page.with_notice("Your password is saved. Log in with it."),
        Some("logged_out") => page.with_notice("You are logged out."),
        _ => page,
    };
    Ok(ctx.page(200, "Log in", page))
}

/// The page for a failed login step: the error, above the form that lets the person
/// go on.
fn failed(ctx: &Ctx<'_>, e: LoginError, again: impl FnOnce() -> pages::Page) -> Answer {
    let err = WebError::from(e);
    if err.is_server_side() {
        return Err(err);
    }
    let (status, message) = status_and_message(&err);
    Ok(ctx.page(status, "Log in", again().with_error(&message)))
}

fn binding_cookie(ctx: &Ctx<'_>, binding: &Token) -> (&'static str, super::HeaderText) {
    let ttl = ctx.web.portal().policy(ctx.firm.id).binding_cookie_ttl;
    ctx.set_cookie(PortalCookie::LoginBinding, &binding.expose_secret(), ttl)
}

pub(super) async fn request_link(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    let next = form.get("next");
    match ctx
        .web
        .portal()
        .request_login_link(ctx.firm.id, field(&form, "email"), next, ctx.info())
        .await
    {
        Ok(requested) => {
            let mut resp = ctx.page(200, "Check your email", pages::check_email());
            resp.headers.push(binding_cookie(ctx, &requested.binding));
            Ok(resp)
        }
        Err(e) => failed(ctx, e, || pages::login(next)),
    }
}

pub(super) async fn request_code(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    let next = form.get("next");
    match ctx
        .web
        .portal()
        .request_login_code(ctx.firm.id, field(&form, "email"), next, ctx.info())
        .await
    {
        Ok(requested) => Ok(ctx.page(
            200,
            "Enter your code",
            pages::code(&requested.challenge.expose_secret()),
        )),
        Err(e) => failed(ctx, e, || pages::login(next)),
    }
}

/// A successful login: the new session's cookie, the binding cookie gone, and off to
/// `next` (already confined to the portal) or the portal's home.
fn logged_in(ctx: &mut Ctx<'_>, login: LoginSuccess) -> Response {
    // The session this browser held is gone (rotation): never re-send its cookie.
    ctx.auth = None;
    let max_age = time_left(login.session.expires_at(), ctx.web.portal().now());
    let home = format!("{}/", ctx.mount());
    let mut resp = Response::see_other(login.next.as_deref().unwrap_or(&home));
    resp.headers
        .push(ctx.set_cookie(PortalCookie::Session, &login.token.expose_secret(), max_age));
    resp.headers
        .push(ctx.clear_cookie(PortalCookie::LoginBinding));
    resp
}

fn current_session(ctx: &Ctx<'_>) -> Option<String> {
    ctx.cookie(PortalCookie::Session).map(str::to_owned)
}

pub(super) async fn verify_code(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    let challenge = field(&form, "challenge");
    let session = current_session(ctx);
    let result = ctx
        .web
        .portal()
        .verify_login_code(
            ctx.firm.id,
            challenge,
            field(&form, "code"),
            session.as_deref(),
            ctx.info(),
        )
        .await;
    match result {
        Ok(login) => Ok(logged_in(ctx, login)),
        Err(e @ (LoginError::InvalidCode | LoginError::LockedOut)) => {
            failed(ctx, e, || pages::code(challenge))
        }
        Err(e) => failed(ctx, e, || pages::link_problem(None)),
    }
}

pub(super) async fn resend_code(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    let challenge = field(&form, "challenge");
    ctx.web
        .portal()
        .resend_login_code(ctx.firm.id, challenge, ctx.info())
        .await?;
    let page = pages::code(challenge)
        .with_notice("If this code request is still open, a new code is on its way.");
    Ok(ctx.page(200, "Enter your code", page))
}

pub(super) async fn password_login(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    let session = current_session(ctx);
    let result = ctx
        .web
        .portal()
        .login_with_password(
            ctx.firm.id,
            field(&form, "email"),
            field(&form, "password"),
            session.as_deref(),
            ctx.info(),
        )
        .await;
    match result {
        Ok(login) => Ok(logged_in(ctx, login)),
        Err(e) => failed(ctx, e, || pages::login(None)),
    }
}

pub(super) async fn confirm_link(ctx: &Ctx<'_>, token: &str) -> Answer {
    // Opening the link (a person, a scanner, a preview) spends nothing: a malformed
    // token is refused by its format alone, a well-formed one only read for the
    // address it logs in as.
    if Token::parse(token).is_err() {
        let (status, msg) =
            status_and_message(&WebError::Login(LoginError::Link(LinkProblem::Unknown)));
        return Ok(ctx.page(status, "Log in", pages::link_problem(None).with_error(&msg)));
    }
    let address = ctx
        .web
        .portal()
        .magic_link_address(ctx.firm.id, token)
        .await?;
    Ok(ctx.page(
        200,
        "Log in",
        pages::link_confirm(token, &ctx.firm.name, address.as_deref()),
    ))
}

pub(super) async fn redeem_link(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    let token = field(&form, "token");
    let binding = ctx.cookie(PortalCookie::LoginBinding).map(str::to_owned);
    let session = current_session(ctx);
    let result = ctx
        .web
        .portal()
        .redeem_magic_link(
            ctx.firm.id,
            token,
            binding.as_deref(),
            session.as_deref(),
            ctx.info(),
        )
        .await;
    match result {
        Ok(login) => Ok(logged_in(ctx, login)),
        Err(e) => {
            // A used link (perhaps by a mail scanner) or one that needs the code: offer
            // to type the code from the same email, which is a separate secret.
            let challenge = match (&e, Token::parse(token)) {
                (LoginError::Link(LinkProblem::AlreadyUsed | LinkProblem::NeedsCode), Ok(t)) => {
                    Some(code_challenge_for(&t).expose_secret())
                }
                _ => None,
            };
            failed(ctx, e, || pages::link_problem(challenge.as_deref()))
        }
    }
}

/// `GET /preview/{token}`: a staff preview link opens a confirmation page and spends
/// nothing, as a login link does.
pub(super) async fn confirm_preview(ctx: &Ctx<'_>, token: &str) -> Answer {
    if Token::parse(token).is_err() {
        let (status, msg) =
            status_and_message(&WebError::Login(LoginError::Link(LinkProblem::Unknown)));
        return Ok(ctx.page(status, "Preview", pages::error(&msg)));
    }
    let address = ctx
        .web
        .portal()
        .preview_link_address(ctx.firm.id, token)
        .await?;
    Ok(ctx.page(
        200,
        "Preview",
        pages::preview_confirm(token, &ctx.firm.name, address.as_deref()),
    ))
}

/// `POST /preview`: consumes the preview link and starts the read-only preview
/// session (replacing this browser's session); a used, expired or unknown link gets
/// the usual link error page.
pub(super) async fn redeem_preview(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    let session = current_session(ctx);
    let result = ctx
        .web
        .portal()
        .redeem_preview_link(
            ctx.firm.id,
            field(&form, "token"),
            session.as_deref(),
            ctx.info(),
        )
        .await;
    match result {
        Ok(login) => Ok(logged_in(ctx, login)),
        Err(e) => failed(ctx, e, || pages::link_problem(None)),
    }
}

pub(super) async fn personal_link(ctx: &mut Ctx<'_>, token: &str) -> Answer {
    let session_contact = ctx.auth.as_ref().map(|a| a.session.contact_id);
    match ctx
        .web
        .portal()
        .open_personal_link(ctx.firm.id, token, session_contact)
        .await?
    {
        Some(PersonalLinkView::AlreadyLoggedIn) => {
            Ok(Response::see_other(&format!("{}/", ctx.mount())))
        }
        Some(PersonalLinkView::OfferLogin { masked_email }) => {
            Ok(ctx.page(200, "Welcome", pages::personal_link(token, &masked_email)))
        }
        None => Ok(ctx.page(
            404,
            "Log in",
            pages::link_problem(None).with_error("This link is not valid any more."),
        )),
    }
}

pub(super) async fn personal_link_request(ctx: &mut Ctx<'_>, token: &str) -> Answer {
    let requested = ctx
        .web
        .portal()
        .request_login_link_for_personal_link(ctx.firm.id, token, ctx.info())
        .await?;
    let mut resp = ctx.page(200, "Check your email", pages::check_email());
    resp.headers.push(binding_cookie(ctx, &requested.binding));
    Ok(resp)
}

pub(super) async fn forgot_password(ctx: &mut Ctx<'_>, form: Form) -> Answer {
    match ctx
        .web
        .portal()
        .request_password_link(ctx.firm.id, field(&form, "email"), ctx.info())
        .await
    {
        Ok(()) => Ok(ctx.page(200, "Check your email", pages::check_email())),
        Err(e) => failed(ctx, e, pages::forgot_password),
    }
}

/// `GET {p}/password/forgot`.
pub(super) async fn forgot_password_page(ctx: &Ctx<'_>) -> Answer {
    Ok(ctx.page(200, "Set a password", pages::forgot_password()))
}

/// `GET {p}/password/set/{token}`.
pub(super) async fn set_password_page(ctx: &mut Ctx<'_>, token: &str) -> Answer {
    password_form(ctx, token, None, 200).await
}

/// The form of a password link, with `error` above it when the last try was refused.
async fn password_form(ctx: &mut Ctx<'_>, token: &str, error: Option<&str>, status: u16) -> Answer {
    match ctx
        .web
        .portal()
        .check_password_link(ctx.firm.id, token)
        .await
    {
        Ok(email) => {
            let page = pages::set_password(token, email.as_str());
            let page = match error {
                Some(message) => page.with_error(message),
                None => page,
            };
            Ok(ctx.page(status, "Choose a password", page))
        }
        Err(e) => failed(ctx, e, pages::forgot_password),
    }
}

pub(super) async fn set_password(ctx: &mut Ctx<'_>, token: &str, form: Form) -> Answer {
    match ctx
        .web
        .portal()
        .set_password(ctx.firm.id, token, field(&form, "password"), ctx.info())
        .await
    {
        Ok(()) => {
            // Every session of the contact is gone, this browser's included.
            ctx.auth = None;
            let mut resp =
                Response::see_other(&format!("{}/login?notice=password_set", ctx.mount()));
            resp.headers.push(ctx.clear_cookie(PortalCookie::Session));
            Ok(resp)
        }
        Err(LoginError::Password(problem)) => {
            password_form(ctx, token, Some(&problem.to_string()), 400).await
        }
        Err(e) => failed(ctx, e, pages::forgot_password),
    }
}

pub(super) async fn logout(ctx: &mut Ctx<'_>) -> Answer {
    let auth = ctx.require_auth()?;
    ctx.web.portal().logout(auth, ctx.info()).await?;
    ctx.auth = None;
    let mut resp = Response::see_other(&format!("{}/login?notice=logged_out", ctx.mount()));
    resp.headers.push(ctx.clear_cookie(PortalCookie::Session));
    Ok(resp)
}
