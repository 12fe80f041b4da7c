//! Pages come from templates that a host may replace by name: a replacement is served,
//! a broken one stops the build, and none can print Portal's values unescaped.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::firm::{Branding, NewFirm, PublicUrl};
use portal_core::testing::{Fixture, World};
use portal_core::web::{PortalWeb, PortalWebBuilder, Request, WebBuildError};

async fn world() -> World {
    World::new(Fixture::single(Arc::new(MemoryStore::new()))).await
}

fn builder(w: &World) -> PortalWebBuilder {
    PortalWeb::builder(w.a.clone(), w.firm.id)
}

/// The status and body of `GET path`.
async fn get(web: &PortalWeb, path: &str) -> (u16, String) {
    let resp = web.handle(Request::new("GET", path)).await;
    (resp.status, String::from_utf8(resp.body).unwrap())
}

#[tokio::test]
async fn an_override_changes_the_page_served() {
    let w = world().await;
    let web = builder(&w)
        .template(
            "login.html",
            r#"{% extends "layout.html" %}
{% block main %}
<h1>Welcome to {{ firm_name }}</h1>
<form method="post" action="{{ mount }}/login/link"><input name="email"></form>
{% endblock %}"#,
        )
        .build()
        .await
        .unwrap();
    let (status, page) = get(&web, "/portal/login").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>Welcome to Acme Accounting</h1>"),
        "{page}"
    );
    assert!(page.contains("action=\"/portal/login/link\""), "{page}");
    assert!(!page.contains("Or use your password"), "{page}");
    // Portal's layout still frames it, and the other pages are still Portal's.
    assert!(
        page.contains("<title>Log in · Acme Accounting</title>"),
        "{page}"
    );
    let (_, other) = get(&web, "/portal/password/forgot").await;
    assert!(other.contains("<h1>Set a password</h1>"), "{other}");
}

#[tokio::test]
async fn a_layout_override_frames_every_page() {
    let w = world().await;
    let web = builder(&w)
        .template(
            "layout.html",
            "<main>{% block main %}{% endblock %}</main><footer>{{ firm_name }}, since 1901</footer>",
        )
        .build()
        .await
        .unwrap();
    for (path, status) in [("/portal/login", 200), ("/portal/nowhere", 404)] {
        let (got, page) = get(&web, path).await;
        assert_eq!(got, status, "{path}");
        assert!(
            page.ends_with("</main><footer>Acme Accounting, since 1901</footer>"),
            "{path}: {page}"
        );
    }
}

#[tokio::test]
async fn a_template_that_does_not_parse_fails_the_build() {
    let w = world().await;
    for (name, source) in [
        ("login.html", "{% if %}"),
        ("layout.html", "{% block main %}"),
        ("home.html", "<h1>{{ first_name </h1>"),
    ] {
        match builder(&w).template(name, source).build().await {
            Err(WebBuildError::TemplateSyntax { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_template_name_portal_does_not_have_fails_the_build() {
    let w = world().await;
    match builder(&w)
        .template("logn.html", "<h1>Hi</h1>")
        .build()
        .await
    {
        Err(WebBuildError::UnknownTemplate(name)) => assert_eq!(name, "logn.html"),
        other => panic!("{other:?}"),
    }
}

/// `|safe`, `{% autoescape false %}` and `|e` in a host's template: the firm's name
/// and a request's `next` parameter are printed escaped all the same.
#[tokio::test]
async fn portal_values_stay_escaped_whatever_a_template_says() {
    let w = world().await;
    let firm =
        w.a.create_firm(NewFirm {
            name: "<i>Evil</i> & Co".into(),
            public_url: PublicUrl::parse("https://portal.evil.example").unwrap(),
            branding: Branding {
                display_name: "<script>alert(1)</script>".into(),
                ..Branding::default()
            },
            mail_from: None,
        })
        .await
        .unwrap();
    let web = PortalWeb::builder(w.a.clone(), firm.id)
        .template(
            "layout.html",
            "<title>{{ title|safe }}</title>\
             <header>{{ firm_name|safe }}|{{ firm_name|e }}|\
             {% autoescape false %}{{ firm_name }}{% endautoescape %}</header>\
             {% block main %}{% endblock %}",
        )
        .template(
            "login.html",
            r#"{% extends "layout.html" %}{% block main %}{% autoescape false %}
<input name="next" value="{{ next|safe }}"><p>{{ next }}</p>
{% endautoescape %}{% endblock %}"#,
        )
        .template(
            "link_confirm.html",
            "{% extends \"layout.html\" %}{% block main %}\
             <h1>{{ firm_legal_name|safe }}</h1>{% endblock %}",
        )
        .build()
        .await
        .unwrap();

    let next = "%22%3E%3Cscript%3Ealert(2)%3C/script%3E";
    let (status, page) = get(&web, &format!("/portal/login?next={next}")).await;
    assert_eq!(status, 200);
    let name = "&lt;script&gt;alert(1)&lt;/script&gt;";
    assert_eq!(page.matches(name).count(), 3, "{page}");
    assert!(
        page.contains("value=\"&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;\""),
        "{page}"
    );
    assert!(
        page.contains("<p>&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</p>"),
        "{page}"
    );
    assert!(!page.contains("<script"), "{page}");

    let (_, page) = get(&web, "/portal/auth/link/not-a-live-token").await;
    assert!(!page.contains("<i>"), "{page}");
    // A well-formed token that no link has: the page names the firm all the same.
    let (_, page) = get(&web, &format!("/portal/auth/link/{}A", "a".repeat(42))).await;
    assert!(
        page.contains("<h1>&lt;i&gt;Evil&lt;/i&gt; &amp; Co</h1>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_page_that_fails_to_render_is_an_opaque_500() {
    let w = world().await;
    let web = builder(&w)
        .template(
            "login.html",
            r#"{% extends "layout.html" %}{% block main %}{{ no_such_value }}{% endblock %}"#,
        )
        .build()
        .await
        .unwrap();
    let (status, page) = get(&web, "/portal/login").await;
    assert_eq!(status, 500);
    assert!(page.contains("<h1>Something went wrong</h1>"), "{page}");
    assert!(!page.contains("no_such_value"), "{page}");

    // When the error page fails as well, a plain page still says so.
    let web = builder(&w)
        .template("error.html", "{{ no_such_value }}")
        .build()
        .await
        .unwrap();
    let (status, page) = get(&web, "/portal/nowhere").await;
    assert_eq!(status, 500);
    assert!(page.contains("<h1>Something went wrong</h1>"), "{page}");
}
