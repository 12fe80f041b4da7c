//! Merge-tag templates: `Hello {{contact.first_name}}` with values escaped for where
//! they land: HTML-escaped in HTML bodies, stripped of line breaks and control
//! characters in headers (no header injection through a contact's name).

use std::collections::BTreeMap;

/// A template that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without its `}}`.
    #[error("unclosed merge tag")]
    Unclosed,
    /// A tag name outside the known set.
    #[error("unknown merge tag {0:?}")]
    UnknownTag(String),
}

/// The merge tags templates may use.
pub const MERGE_TAGS: [&str; 12] = [
    "contact.first_name",
    "contact.email",
    "firm.name",
    "link",
    "link.minutes",
    "code",
    "code.minutes",
    "personal_link",
    "clients",
    "client.name",
    "tasks",
    "activity",
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Tag(&'static str),
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template(Vec<Part>);

/// Values for merge tags; a missing value renders empty.
#[derive(Clone, Debug, Default)]
pub struct MergeValues(BTreeMap<&'static str, String>);

impl MergeValues {
    /// No values.
    #[must_use]
    pub fn new() -> Self {
        MergeValues::default()
    }

    /// Sets a tag's value.
    #[must_use]
    pub fn with(mut self, tag: &'static str, value: impl Into<String>) -> Self {
        self.0.insert(tag, value.into());
        self
    }
}

#[derive(Clone, Copy)]
enum Context {
    Header,
    Text,
    Html,
}

impl Template {
    /// Parses `{{tag}}` placeholders (whitespace inside the braces allowed).
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
            let name = after[..end].trim();
            let tag = MERGE_TAGS
                .iter()
                .find(|t| **t == name)
                .ok_or_else(|| TemplateError::UnknownTag(name.to_owned()))?;
            parts.push(Part::Tag(tag));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template(parts))
    }

    fn render(&self, values: &MergeValues, ctx: Context) -> String {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(t) => match ctx {
                    Context::Header => out.push_str(&one_line(t)),
                    _ => out.push_str(t),
                },
                Part::Tag(tag) => {
                    let v = values.0.get(tag).map_or("", String::as_str);
                    match ctx {
                        Context::Header => out.push_str(&one_line(v)),
                        Context::Text => out.push_str(v),
                        Context::Html => out.push_str(&escape_html(v)),
                    }
                }
            }
        }
        out
    }

    /// Renders for a header (subject): no line breaks or control characters survive.
    #[must_use]
    pub fn render_header(&self, values: &MergeValues) -> String {
        self.render(values, Context::Header)
    }

    /// Renders a plain-text body.
    #[must_use]
    pub fn render_text(&self, values: &MergeValues) -> String {
        self.render(values, Context::Text)
    }

    /// Renders an HTML body: merged values are HTML-escaped; the template's own markup
    /// is kept.
    #[must_use]
    pub fn render_html(&self, values: &MergeValues) -> String {
        self.render(values, Context::Html)
    }
}

/// `s` as one header line: every control character (CR and LF among them) becomes a
/// space, so that no value can end a header and start another (header injection).
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Escapes `& < > " '` for HTML text and attribute values.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// One kind of email: subject, text body, HTML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailTemplate {
    /// Subject.
    pub subject: Template,
    /// Plain-text body.
    pub text: Template,
    /// HTML body.
    pub html: Template,
}

impl EmailTemplate {
    /// Parses the three parts.
    pub fn parse(subject: &str, text: &str, html: &str) -> Result<Self, TemplateError> {
        Ok(EmailTemplate {
            subject: Template::parse(subject)?,
            text: Template::parse(text)?,
            html: Template::parse(html)?,
        })
    }
}

/// The emails Portal sends. [`Templates::default`] holds plain English ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Templates {
    /// Magic link and code.
    pub login: EmailTemplate,
    /// A code sent again.
    pub code: EmailTemplate,
    /// Invitation with the personal link.
    pub invitation: EmailTemplate,
    /// Password set/reset link.
    pub password_link: EmailTemplate,
    /// New tasks of a client (`{{tasks}}`: one line per task), with the portal's
    /// address (`{{link}}`: no login secret, the contact logs in as usual).
    pub announcement: EmailTemplate,
    /// Open tasks of a client, reminded of, with the same tags as the announcement.
    pub reminder: EmailTemplate,
    /// Client activity for a staff member (`{{activity}}`: one line per change).
    pub staff_activity: EmailTemplate,
    /// A staff member's daily digest of client activity, with the same tag.
    pub staff_digest: EmailTemplate,
}

const FOOTER_TEXT: &str = "\n\nYour portal: {{personal_link}}\n";
const FOOTER_HTML: &str =
    "<p style=\"color:#666\">Your portal: <a href=\"{{personal_link}}\">{{personal_link}}</a></p>";

/// A built-in template, with the footer that links to the portal.
fn builtin(subject: &str, text: &str, html: &str) -> EmailTemplate {
    builtin_as_is(
        subject,
        &format!("{text}{FOOTER_TEXT}"),
        &format!("{html}{FOOTER_HTML}"),
    )
}

/// A built-in template without the footer: the invitation's body is the portal's
/// link already, and the same link twice reads as two different ones.
#[allow(clippy::expect_used)] // the built-in templates are constants, checked by a test
fn builtin_as_is(subject: &str, text: &str, html: &str) -> EmailTemplate {
    EmailTemplate::parse(subject, text, html).expect("built-in templates parse")
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            login: builtin(
                "Your login link for {{firm.name}}",
                "Hello {{contact.first_name}},\n\nLog in to the {{firm.name}} portal with this link (it works once, for {{link.minutes}} minutes):\n\n{{link}}\n\nOr type this code on the page that asked for it: {{code}}\n\nIf you did not ask to log in, ignore this email.",
                "<p>Hello {{contact.first_name}},</p><p>Log in to the {{firm.name}} portal with this link (it works once, for {{link.minutes}} minutes):</p><p><a href=\"{{link}}\">Log in to portal</a></p><p>Or type this code on the page that asked for it: <strong>{{code}}</strong></p><p>If you did not ask to log in, ignore this email.</p>",
            ),
            code: builtin(
                "Your login code for {{firm.name}}",
                "Hello {{contact.first_name}},\n\nYour code: {{code}} (valid for {{code.minutes}} minutes).\n\nIf you did not ask to log in, ignore this email.",
                "<p>Hello {{contact.first_name}},</p><p>Your code: <strong>{{code}}</strong> (valid for {{code.minutes}} minutes).</p><p>If you did not ask to log in, ignore this email.</p>",
            ),
            invitation: builtin_as_is(
                "{{firm.name}} invites you to its client portal",
                "Hello {{contact.first_name}},\n\n{{firm.name}} invites you to its client portal for {{clients}}. Open it here; no password needed:\n\n{{personal_link}}",
                "<p>Hello {{contact.first_name}},</p><p>{{firm.name}} invites you to its client portal for {{clients}}.</p><p><a href=\"{{personal_link}}\">Open the portal</a> (no password needed)</p>",
            ),
            password_link: builtin(
                "Set your password for {{firm.name}}",
                "Hello {{contact.first_name}},\n\nSet your portal password with this link (it works once, for {{link.minutes}} minutes):\n\n{{link}}\n\nSetting a password logs out every device. If you did not ask for this, ignore this email.",
                "<p>Hello {{contact.first_name}},</p><p>Set your portal password with this link (it works once, for {{link.minutes}} minutes):</p><p><a href=\"{{link}}\">Set password</a></p><p>Setting a password logs out every device. If you did not ask for this, ignore this email.</p>",
            ),
            announcement: builtin_as_is(
                "New tasks from {{firm.name}} for {{client.name}}",
                "Hello {{contact.first_name}},\n\n{{firm.name}} has new tasks for {{client.name}}:\n\n{{tasks}}\n\nSee them in your portal: {{link}}",
                "<p>Hello {{contact.first_name}},</p><p>{{firm.name}} has new tasks for {{client.name}}:</p><p style=\"white-space:pre-line\">{{tasks}}</p><p><a href=\"{{link}}\">See them in your portal</a></p>",
            ),
            reminder: builtin_as_is(
                "Reminder: tasks for {{client.name}} are waiting",
                "Hello {{contact.first_name}},\n\nA reminder from {{firm.name}}: these tasks for {{client.name}} are still open:\n\n{{tasks}}\n\nYour portal: {{link}}",
                "<p>Hello {{contact.first_name}},</p><p>A reminder from {{firm.name}}: these tasks for {{client.name}} are still open:</p><p style=\"white-space:pre-line\">{{tasks}}</p><p><a href=\"{{link}}\">Open your portal</a></p>",
            ),
            staff_activity: builtin_as_is(
                "Client activity at {{firm.name}}",
                "New in your clients' portals:\n\n{{activity}}",
                "<p>New in your clients' portals:</p><p style=\"white-space:pre-line\">{{activity}}</p>",
            ),
            staff_digest: builtin_as_is(
                "Today's client activity at {{firm.name}}",
                "Your clients' activity since the last digest:\n\n{{activity}}",
                "<p>Your clients' activity since the last digest:</p><p style=\"white-space:pre-line\">{{activity}}</p>",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_email_links_the_portal_once() {
        let link = "https://portal.example/portal/p/TOKEN";
        let v = MergeValues::new().with("personal_link", link);
        let t = Templates::default();
        for (name, template) in [
            ("login", &t.login),
            ("code", &t.code),
            ("invitation", &t.invitation),
            ("password link", &t.password_link),
        ] {
            assert_eq!(
                template.text.render_text(&v).matches(link).count(),
                1,
                "{name}, text"
            );
            assert_eq!(
                template.html.render_html(&v).matches(link).count(),
                // The footer's link is also its text.
                if name == "invitation" { 1 } else { 2 },
                "{name}, HTML"
            );
        }
    }

    #[test]
    fn values_are_escaped_for_their_context() {
        let t = Template::parse("Hi {{ contact.first_name }}!").unwrap();
        let v = MergeValues::new().with(
            "contact.first_name",
            "<script>x</script>\r\nBcc: evil@x.com",
        );
        assert_eq!(
            t.render_html(&v),
            "Hi &lt;script&gt;x&lt;/script&gt;\r\nBcc: evil@x.com!"
        );
        let header = t.render_header(&v);
        assert!(
            !header.contains('\r') && !header.contains('\n'),
            "{header:?}"
        );
        assert_eq!(
            t.render_text(&v),
            "Hi <script>x</script>\r\nBcc: evil@x.com!"
        );
    }

    #[test]
    fn unknown_and_unclosed_tags_are_refused() {
        assert_eq!(
            Template::parse("{{contact.password}}"),
            Err(TemplateError::UnknownTag("contact.password".into()))
        );
        assert_eq!(Template::parse("{{link"), Err(TemplateError::Unclosed));
        assert_eq!(
            Template::parse("no tags")
                .unwrap()
                .render_text(&MergeValues::new()),
            "no tags"
        );
    }

    #[test]
    fn builtin_templates_parse() {
        let t = Templates::default();
        let v = MergeValues::new()
            .with("link", "https://x/a")
            .with("code", "123456");
        assert!(t.login.text.render_text(&v).contains("https://x/a"));
        assert!(t.login.text.render_text(&v).contains("123456"));
    }
}
