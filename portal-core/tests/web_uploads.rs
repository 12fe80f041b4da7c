//! Upload routes through the neutral HTTP layer: which requests an adapter hands over
//! as a stream, and the guard of an upload (session, CSRF token in the header or as
//! the first part, no staff preview) before any file reaches a handler.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt as _;
use portal_core::MemoryStore;
use portal_core::testing::upload::{
    TestPart, multipart, multipart_content_type, session_of, text_file,
};
use portal_core::testing::{Fixture, World};
use portal_core::web::{BodyLimits, BodyPlan, Request, Response};

const PROBE: &str = "/portal/api/__test/upload";

async fn world() -> World {
    World::new(Fixture::single(Arc::new(MemoryStore::new()))).await
}

/// A streamed multipart upload of `parts` to the probe.
fn upload(cookie: &str, parts: &[TestPart<'_>]) -> Request {
    let body = multipart(parts);
    let pieces: Vec<std::io::Result<Bytes>> = body
        .chunks(16 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Request::new("POST", PROBE)
        .header("cookie", cookie)
        .header("content-type", &multipart_content_type())
        .with_stream(Box::pin(futures_util::stream::iter(pieces)))
}

async fn streamed_body(resp: &Response) -> Vec<u8> {
    let mut stream = resp.stream.as_ref().unwrap().take().unwrap();
    let mut out = Vec::new();
    while let Some(c) = stream.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

#[tokio::test]
async fn only_a_multipart_post_to_an_upload_route_is_streamed() {
    let w = world().await;
    let web = w.web().await;
    let limit = BodyLimits::default().upload;
    assert_eq!(limit, 251 * 1024 * 1024);
    let head = |method: &str, path: &str, content_type: &str| {
        Request::new(method, path).header("content-type", content_type)
    };
    let multi = multipart_content_type();
    assert_eq!(
        web.body_plan(&head("POST", PROBE, &multi)),
        BodyPlan::Stream { limit }
    );
    assert_eq!(
        web.body_plan(&head("POST", PROBE, &multi).header("content-length", &limit.to_string())),
        BodyPlan::Stream { limit }
    );
    assert_eq!(
        web.body_plan(
            &head("POST", PROBE, &multi).header("content-length", &(limit + 1).to_string())
        ),
        BodyPlan::TooLarge
    );
    // Not multipart, not an upload route, not a POST: read as before.
    assert!(matches!(
        web.body_plan(&head("POST", PROBE, "application/x-www-form-urlencoded")),
        BodyPlan::UpTo(_)
    ));
    assert!(matches!(
        web.body_plan(&head("POST", "/portal/api/switch", &multi)),
        BodyPlan::UpTo(_)
    ));
    assert!(matches!(
        web.body_plan(&head("POST", "/portal/login/link", &multi)),
        BodyPlan::UpTo(_)
    ));
    assert_eq!(web.body_plan(&head("GET", PROBE, &multi)), BodyPlan::Skip);
}

#[tokio::test]
async fn an_upload_with_the_token_in_the_header_or_first_gets_through() {
    let w = world().await;
    let web = w.web().await;
    let (cookie, csrf) = session_of(&web, &w.login(w.jane.id).await);
    let file = text_file(200_000);
    let with_header = upload(
        &cookie,
        &[
            TestPart::Text("note", "x"),
            TestPart::File("doc", "a.txt", "text/plain", &file),
        ],
    )
    .header("x-csrf-token", &csrf);
    let resp = web.handle(with_header).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert!(streamed_body(&resp).await == file);

    let first = upload(
        &cookie,
        &[
            TestPart::Text("csrf_token", &csrf),
            TestPart::File("doc", "a.txt", "text/plain", &file),
        ],
    );
    let resp = web.handle(first).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(resp.header("content-length"), Some("200000"));

    // A HEAD has no route here; a HEAD of a download never carries its stream.
    let head = web.handle(Request::new("HEAD", PROBE)).await;
    assert!(head.stream.is_none());
}

#[tokio::test]
async fn an_upload_without_its_token_first_is_refused_before_any_file() {
    let w = world().await;
    let web = w.web().await;
    let (cookie, csrf) = session_of(&web, &w.login(w.jane.id).await);
    let (_, bobs) = session_of(&web, &w.login(w.bob.id).await);
    let file = text_file(1000);
    let doc = TestPart::File("doc", "a.txt", "text/plain", &file);
    let cases = [
        upload(&cookie, &[doc.clone(), TestPart::Text("csrf_token", &csrf)]),
        upload(
            &cookie,
            &[
                TestPart::Text("note", "x"),
                TestPart::Text("csrf_token", &csrf),
                doc.clone(),
            ],
        ),
        upload(&cookie, &[TestPart::Text("csrf_token", &bobs), doc.clone()]),
        upload(&cookie, std::slice::from_ref(&doc)).header("x-csrf-token", &bobs),
        // A right token in the body does not mend a wrong one in the header.
        upload(&cookie, &[TestPart::Text("csrf_token", &csrf), doc.clone()])
            .header("x-csrf-token", &bobs),
    ];
    for (i, req) in cases.into_iter().enumerate() {
        let resp = web.handle(req).await;
        assert_eq!(resp.status, 403, "case {i}");
        assert!(resp.stream.is_none(), "case {i}");
    }
    // Without a session: a page's upload form (no token header) is sent to log in, an
    // API client is told 401.
    let resp = web.handle(upload("", std::slice::from_ref(&doc))).await;
    assert_eq!(resp.status, 303);
    let api = upload("", std::slice::from_ref(&doc)).header("x-csrf-token", &csrf);
    assert_eq!(web.handle(api).await.status, 401);
}

#[tokio::test]
async fn a_staff_preview_uploads_nothing() {
    let w = world().await;
    let web = w.web().await;
    let link = w.a.issue_preview_link(&w.staff, w.jane.id).await.unwrap();
    let token = link.url.rsplit('/').next().unwrap().to_owned();
    let started = web
        .handle(
            Request::new("POST", "/portal/preview")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("token={token}").into_bytes()),
        )
        .await;
    assert_eq!(started.status, 303);
    let cookie = started
        .headers
        .iter()
        .find(|(n, v)| *n == "set-cookie" && v.as_str().starts_with(web.session_cookie_name()))
        .map(|(_, v)| v.as_str().split(';').next().unwrap().to_owned())
        .unwrap();
    let me = web
        .handle(Request::new("GET", "/portal/api/me").header("cookie", &cookie))
        .await;
    let me: serde_json::Value = serde_json::from_slice(&me.body).unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let file = text_file(10);
    for req in [
        upload(
            &cookie,
            &[TestPart::File("doc", "a.txt", "text/plain", &file)],
        )
        .header("x-csrf-token", &csrf),
        upload(
            &cookie,
            &[
                TestPart::Text("csrf_token", &csrf),
                TestPart::File("doc", "a.txt", "text/plain", &file),
            ],
        ),
    ] {
        let resp = web.handle(req).await;
        assert_eq!(resp.status, 403);
        // As JSON to an API client, as a page to a page's form.
        let body = String::from_utf8_lossy(&resp.body);
        assert!(body.contains("preview"), "{body}");
    }
}

#[tokio::test]
async fn a_file_of_the_wrong_type_or_too_large_is_answered_with_its_status() {
    let w = world().await;
    let web = w.web().await;
    let (cookie, csrf) = session_of(&web, &w.login(w.jane.id).await);
    let page = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
    let resp = web
        .handle(
            upload(
                &cookie,
                &[TestPart::File("doc", "a.pdf", "application/pdf", page)],
            )
            .header("x-csrf-token", &csrf),
        )
        .await;
    assert_eq!(resp.status, 422);
    let resp = web
        .handle(
            upload(
                &cookie,
                &[TestPart::File("doc", "a.txt", "text/plain", b"")],
            )
            .header("x-csrf-token", &csrf),
        )
        .await;
    assert_eq!(resp.status, 400);
    // Past the probe's 25 MiB per file: 413.
    let big = text_file(25 * 1024 * 1024 + 1);
    let resp = web
        .handle(
            upload(
                &cookie,
                &[TestPart::File("doc", "a.txt", "text/plain", &big)],
            )
            .header("x-csrf-token", &csrf),
        )
        .await;
    assert_eq!(resp.status, 413);
}
