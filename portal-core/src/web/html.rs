//! HTML with escaping by default: the `html!` macro formats like `format!`, but every
//! argument is escaped unless it is already [`Html`]. Nothing user-supplied can reach a
//! page unescaped without an explicit `Html::trusted`.

use std::fmt;

use crate::notify::escape_html;

/// A fragment of HTML that is safe to place in a page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Html(String);

impl Html {
    /// Markup written by Portal itself (templates, constants). Never user input.
    pub(crate) fn trusted(s: impl Into<String>) -> Html {
        Html(s.into())
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }

    pub(crate) fn push(&mut self, more: Html) {
        self.0.push_str(&more.0);
    }
}

/// How a value is written into HTML.
pub(crate) trait Render {
    fn render(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result;
}

impl Render for Html {
    fn render(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str(&self.0)
    }
}

macro_rules! render_escaped {
    ($($t:ty),*) => {$(
        impl Render for $t {
            fn render(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
                out.write_str(&escape_html(&self.to_string()))
            }
        }
    )*};
}

render_escaped!(
    str,
    String,
    usize,
    u32,
    u64,
    i64,
    crate::id::ClientId,
    crate::id::ContactId,
    crate::id::TaskId,
    crate::clock::Timestamp,
    crate::firm::AccentColour
);

impl<T: Render + ?Sized> Render for &T {
    fn render(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).render(out)
    }
}

/// Adapter from [`Render`] to `Display`, used by `html!`.
pub(crate) struct Rendered<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: Render + ?Sized> fmt::Display for Rendered<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.render(f)
    }
}

/// `format!` for HTML: arguments are escaped (or inserted as is when they are `Html`).
macro_rules! html {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {
        $crate::web::html::Html::trusted(format!($fmt $(, $crate::web::html::Rendered(&$arg))*))
    };
}
pub(crate) use html;

#[cfg(test)]
mod tests {
    #[test]
    fn arguments_are_escaped_unless_html() {
        let name = "<script>\"x\"</script>";
        let inner = html!("<b>{}</b>", "&");
        let page = html!("<p title=\"{}\">{}</p>", name, inner);
        assert_eq!(
            page.into_string(),
            "<p title=\"&lt;script&gt;&quot;x&quot;&lt;/script&gt;\"><b>&amp;</b></p>"
        );
    }
}
