//! The pages a contact sees. Every value is escaped by `html!`; every form that changes
//! state posts to the portal itself; pages carry no scripts.

use super::html::{Html, html};
use crate::firm::Firm;

/// Where the portal lives and how it looks, for one page.
pub(crate) struct Frame<'a> {
    pub(crate) firm: &'a Firm,
    pub(crate) mount: &'a str,
}

impl Frame<'_> {
    pub(crate) fn page(&self, title: &str, header_extra: Html, body: Html) -> String {
        let b = &self.firm.branding;
        let name = if b.display_name.is_empty() {
            &self.firm.name
        } else {
            &b.display_name
        };
        let logo = match &b.logo_url {
            Some(url) => html!("<img src=\"{}\" alt=\"\">", url),
            None => Html::default(),
        };
        html!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <title>{} · {}</title>\
             <link rel=\"icon\" href=\"{}/assets/icon.svg\">\
             <link rel=\"stylesheet\" href=\"{}/assets/portal.css\">\
             <link rel=\"stylesheet\" href=\"{}/assets/theme.css\"></head>\
             <body><header>{}<span class=\"firm\">{}</span>{}</header><main>{}</main></body></html>",
            title,
            name,
            self.mount,
            self.mount,
            self.mount,
            logo,
            name,
            header_extra,
            body
        )
        .into_string()
    }
}

pub(crate) fn notice(text: &str, error: bool) -> Html {
    let class = if error { "notice error" } else { "notice" };
    html!("<div class=\"{}\" role=\"status\">{}</div>", class, text)
}

pub(crate) fn login(mount: &str, next: Option<&str>, message: Html) -> Html {
    let next_field = next.map_or_else(Html::default, |n| {
        html!("<input type=\"hidden\" name=\"next\" value=\"{}\">", n)
    });
    html!(
        "{}<div class=\"card\"><h1>Log in</h1>\
         <form method=\"post\" action=\"{}/login/link\">{}\
         <label for=\"email\">Email</label>\
         <input id=\"email\" type=\"email\" name=\"email\" autocomplete=\"username email\" required maxlength=\"254\">\
         <div class=\"row\"><button type=\"submit\">Email me a login link</button>\
         <button type=\"submit\" class=\"secondary\" formaction=\"{}/login/code\">Email me a code</button></div>\
         </form></div>\
         <div class=\"card\"><h2>Or use your password</h2>\
         <form method=\"post\" action=\"{}/login/password\">\
         <label for=\"pw-email\">Email</label>\
         <input id=\"pw-email\" type=\"email\" name=\"email\" autocomplete=\"username\" required maxlength=\"254\">\
         <label for=\"password\">Password</label>\
         <input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"current-password\" required maxlength=\"512\">\
         <button type=\"submit\">Log in</button></form>\
         <p class=\"muted\"><a href=\"{}/password/forgot\">Forgot or never set a password?</a></p></div>",
        message,
        mount,
        next_field,
        mount,
        mount,
        mount
    )
}

pub(crate) fn check_email(mount: &str) -> Html {
    html!(
        "<div class=\"card\"><h1>Check your email</h1>\
         <p>If this address belongs to a portal account, an email with a login link and a \
         6-digit code is on its way. The link works once, for a short time.</p>\
         <p class=\"muted\">Nothing arriving? Check your spam folder, or <a href=\"{}/login\">try again</a>.</p></div>",
        mount
    )
}

pub(crate) fn code_entry(mount: &str, challenge: &str, message: Html) -> Html {
    html!(
        "{}<div class=\"card\"><h1>Enter your code</h1>\
         <p>Type the 6-digit code from the email we sent.</p>\
         <form method=\"post\" action=\"{}/login/code/verify\">\
         <input type=\"hidden\" name=\"challenge\" value=\"{}\">\
         <label for=\"code\">Code</label>\
         <input id=\"code\" class=\"code\" type=\"text\" name=\"code\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" pattern=\"[0-9 \\-]{{6,8}}\" maxlength=\"8\" required>\
         <button type=\"submit\">Log in</button></form>\
         <form method=\"post\" action=\"{}/login/code/resend\">\
         <input type=\"hidden\" name=\"challenge\" value=\"{}\">\
         <button type=\"submit\" class=\"link\">Send a new code</button></form></div>",
        message,
        mount,
        challenge,
        mount,
        challenge
    )
}

/// The page a magic link opens. `address` is the masked address it logs in as, when
/// the link is live; an unknown or spent link gets the same page without one.
pub(crate) fn link_confirm(mount: &str, token: &str, firm: &str, address: Option<&str>) -> Html {
    let address = address.map_or_else(Html::default, |a| {
        html!(
            "<p>You will be logged in as <strong class=\"address\">{}</strong>.</p>",
            a
        )
    });
    // No script, no auto-submit: only a person's click spends the link.
    html!(
        "<div class=\"card\"><h1>Log in to {}</h1>{}\
         <form method=\"post\" action=\"{}/auth/link\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <button type=\"submit\">Log in to portal</button></form></div>",
        firm,
        address,
        mount,
        token
    )
}

pub(crate) fn request_new_link(mount: &str) -> Html {
    html!(
        "<div class=\"card\"><h2>Get a new login link</h2>\
         <form method=\"post\" action=\"{}/login/link\">\
         <label for=\"email\">Email</label>\
         <input id=\"email\" type=\"email\" name=\"email\" autocomplete=\"username email\" required maxlength=\"254\">\
         <button type=\"submit\">Email me a new link</button></form></div>",
        mount
    )
}

pub(crate) fn personal_link(mount: &str, token: &str, masked: &str) -> Html {
    html!(
        "<div class=\"card\"><h1>Welcome back</h1>\
         <p>For your security, this link does not log you in by itself.</p>\
         <form method=\"post\" action=\"{}/c/{}\">\
         <button type=\"submit\">Email a login link to {}</button></form>\
         <p class=\"muted\">Not you? <a href=\"{}/login\">Log in with your own address</a>.</p></div>",
        mount,
        token,
        masked,
        mount
    )
}

pub(crate) fn forgot_password(mount: &str) -> Html {
    html!(
        "<div class=\"card\"><h1>Set a password</h1>\
         <p>We will email you a link to set a new password. It works once, for 30 minutes, \
         and logs out your other devices.</p>\
         <form method=\"post\" action=\"{}/password/forgot\">\
         <label for=\"email\">Email</label>\
         <input id=\"email\" type=\"email\" name=\"email\" autocomplete=\"username email\" required maxlength=\"254\">\
         <button type=\"submit\">Email me a link</button></form></div>",
        mount
    )
}

pub(crate) fn set_password(mount: &str, token: &str, email: &str, message: Html) -> Html {
    html!(
        "{}<div class=\"card\"><h1>Choose a password</h1>\
         <p class=\"muted\">At least 15 characters. A few unrelated words make a good one.</p>\
         <form method=\"post\" action=\"{}/password/set/{}\">\
         <input type=\"text\" name=\"username\" value=\"{}\" autocomplete=\"username\" hidden readonly>\
         <label for=\"password\">New password</label>\
         <input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"15\" maxlength=\"512\" required>\
         <button type=\"submit\">Save password</button></form></div>",
        message,
        mount,
        token,
        email
    )
}

pub(crate) fn error(message: &str, mount: &str) -> Html {
    html!(
        "<div class=\"card\"><h1>{}</h1><p><a href=\"{}/login\">Go to the login page</a></p></div>",
        message,
        mount
    )
}
