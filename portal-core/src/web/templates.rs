//! The template engine behind the pages: Portal's own templates, compiled into the
//! binary, and the ones a host puts in their place (see "Pages and their templates" in
//! the module's documentation).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use super::build_error::WebBuildError;
use crate::notify::escape_html;

/// One of Portal's templates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Template {
    Layout,
    Login,
    CheckEmail,
    CodeForm,
    Code,
    LinkConfirm,
    LinkProblem,
    PersonalLink,
    ForgotPassword,
    SetPassword,
    Home,
    Progress,
    Approvals,
    Documents,
    Signature,
    DecisionForm,
    Task,
    Error,
    PreviewConfirm,
    Ask,
    Activity,
}

impl Template {
    pub(crate) const ALL: [Template; 21] = [
        Template::Layout,
        Template::Login,
        Template::CheckEmail,
        Template::CodeForm,
        Template::Code,
        Template::LinkConfirm,
        Template::LinkProblem,
        Template::PersonalLink,
        Template::ForgotPassword,
        Template::SetPassword,
        Template::Home,
        Template::Progress,
        Template::Approvals,
        Template::Documents,
        Template::Signature,
        Template::DecisionForm,
        Template::Task,
        Template::Error,
        Template::PreviewConfirm,
        Template::Ask,
        Template::Activity,
    ];

    /// The name it is rendered, included and overridden by.
    pub(crate) fn name(self) -> &'static str {
        self.built_in().0
    }

    /// Its name and Portal's source for it, compiled in so that a server needs no
    /// file at run time.
    fn built_in(self) -> (&'static str, &'static str) {
        macro_rules! compiled_in {
            ($name:literal) => {
                ($name, include_str!(concat!("../../templates/", $name)))
            };
        }
        match self {
            Template::Layout => compiled_in!("layout.html"),
            Template::Login => compiled_in!("login.html"),
            Template::CheckEmail => compiled_in!("check_email.html"),
            Template::CodeForm => compiled_in!("code_form.html"),
            Template::Code => compiled_in!("code.html"),
            Template::LinkConfirm => compiled_in!("link_confirm.html"),
            Template::LinkProblem => compiled_in!("link_problem.html"),
            Template::PersonalLink => compiled_in!("personal_link.html"),
            Template::ForgotPassword => compiled_in!("forgot_password.html"),
            Template::SetPassword => compiled_in!("set_password.html"),
            Template::Home => compiled_in!("home.html"),
            Template::Progress => compiled_in!("progress.html"),
            Template::Approvals => compiled_in!("approvals.html"),
            Template::Documents => compiled_in!("documents.html"),
            Template::Signature => compiled_in!("signature.html"),
            Template::DecisionForm => compiled_in!("decision_form.html"),
            Template::Task => compiled_in!("task.html"),
            Template::Error => compiled_in!("error.html"),
            Template::PreviewConfirm => compiled_in!("preview_confirm.html"),
            Template::Ask => compiled_in!("ask.html"),
            Template::Activity => compiled_in!("activity.html"),
        }
    }
}

/// The compiled templates of one `PortalWeb`: built once, rendered on every page.
pub(crate) struct Templates {
    env: Environment<'static>,
    overridden: Vec<&'static str>,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Templates")
            .field("overridden", &self.overridden)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// Portal's templates, each replaced by the host's source of the same name in
    /// `overrides`. A name Portal does not render is refused rather than ignored: a
    /// typo would otherwise leave the default page in place without a word.
    pub(crate) fn new(mut overrides: BTreeMap<String, String>) -> Result<Templates, WebBuildError> {
        if let Some(unknown) = overrides
            .keys()
            .find(|name| !Template::ALL.iter().any(|t| t.name() == *name))
        {
            return Err(WebBuildError::UnknownTemplate(unknown.clone()));
        }
        let mut env = Environment::new();
        // Every page is HTML, whatever a template is called.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        // A misspelt value fails the page (and the tests) instead of printing nothing;
        // `{% if value %}` on a missing one is still allowed.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_syntax(one_tag_a_line());
        let mut overridden = Vec::new();
        for template in Template::ALL {
            let (name, built_in) = template.built_in();
            let source = match overrides.remove(name) {
                Some(host) => {
                    overridden.push(name);
                    Cow::Owned(host)
                }
                None => Cow::Borrowed(built_in),
            };
            env.add_template_owned(name, source)
                .map_err(|e| WebBuildError::TemplateSyntax {
                    name: name.to_owned(),
                    source: Box::new(e),
                })?;
        }
        Ok(Templates { env, overridden })
    }

    pub(crate) fn render(
        &self,
        template: Template,
        values: Value,
    ) -> Result<String, minijinja::Error> {
        self.env.get_template(template.name())?.render(values)
    }
}

/// Templates are written one tag a line: these settings keep those lines (the
/// newline after a tag, the indentation before it) out of the page.
#[allow(clippy::expect_used)] // the default delimiters, which always build
fn one_tag_a_line() -> SyntaxConfig {
    SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .expect("the default delimiters are valid")
}

/// A piece of text from Portal (a name, a token, a path, a message) as a template
/// value: already escaped for HTML, and marked safe so that the engine does not
/// escape it twice.
///
/// Why escape before the template rather than rely on its auto-escaping: a host's
/// template decides what the engine escapes, and `{{ firm_name|safe }}` or
/// `{% autoescape false %}` would turn it off for names and notes that contacts and
/// staff typed. Escaped here, the text stays escaped whatever the template does with
/// it: `safe` has nothing left to undo, and without the engine's built-in filters
/// (`replace` and its kin are not compiled in) a template cannot unescape it. The
/// other way, taking `safe` away and refusing the `autoescape` tag, would mean
/// reading every host template for each way of spelling them, and missing one would
/// be a hole; here a missed case only costs an `&amp;` shown twice.
pub(crate) fn text(s: &str) -> Value {
    Value::from_safe_string(escape_html(s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn portal_text_is_escaped_and_kept_from_escaping_twice() {
        let v = text("<b title='x'>Tom & \"Jerry\"</b>");
        assert!(v.is_safe());
        assert_eq!(
            v.as_str(),
            Some("&lt;b title=&#x27;x&#x27;&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;")
        );
    }

    #[test]
    fn every_template_is_documented_for_hosts() {
        let doc = include_str!("../../docs/templates.md");
        for t in Template::ALL {
            assert!(doc.contains(&format!("| `{}` |", t.name())), "{t:?}");
        }
    }

    #[test]
    fn an_override_replaces_only_the_template_it_names() {
        let overrides = BTreeMap::from([("error.html".to_owned(), "{{ message }}!".to_owned())]);
        let t = Templates::new(overrides).unwrap();
        assert_eq!(t.overridden, ["error.html"]);
        let values = minijinja::context! { message => text("Gone") };
        assert_eq!(t.render(Template::Error, values).unwrap(), "Gone!");
        let code = t.render(
            Template::CodeForm,
            minijinja::context! { mount => text("/p"), challenge => text("c") },
        );
        assert!(code.unwrap().contains("action=\"/p/login/code/verify\""));
    }
}
