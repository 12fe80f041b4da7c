//! Document requests end to end, on both servers and every store: staff ask for
//! documents, a contact uploads them (over the API and as a page's form would), staff
//! reject with notes, the contact uploads again, staff approve; downloads carry their
//! name safely and are in the access log; hostile uploads are refused with a clear 4xx
//! and nothing stored, neither a row nor a blob. A file whose bytes are not what its
//! name or declared type say is a 422: the upload is well-formed, what it carries is
//! refused, and the message says why.

use serde_json::{Value, json};

use super::cases::{assert_status, csrf, login, me};
use super::client::{Browser, Part, Resp, multipart, multipart_type};
use super::server::Server;

const JANE: &str = "jane@example.com";
const BOB: &str = "bob@example.com";
const FORGED: &str = "00000000-0000-4000-8000-000000000000";

/// A small PDF: what the portal reads a PDF by is its first bytes.
pub const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A 1x1 PNG.
pub fn png() -> Vec<u8> {
    let hex = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489\
               0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082";
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A document request for Jane's active client, made through the staff API.
fn request(s: &Server, b: &mut Browser, title: &str) -> String {
    let client = me(b).json()["active_client"]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let r = s.admin(
        "POST",
        &format!("/clients/{client}/tasks"),
        Some(&json!({"title": title, "evidence": {"type": "document_upload"}})),
    );
    assert_status(&r, 201, "create the request");
    r.json()["id"].as_str().expect("id").to_owned()
}

/// Uploads `parts` as an API client does: the CSRF token in its header.
fn upload(b: &mut Browser, task: &str, token: &str, parts: &[Part<'_>]) -> Resp {
    let body = multipart(parts);
    let content_type = multipart_type();
    b.request(
        "POST",
        &format!("/portal/api/tasks/{task}/files"),
        &[("Content-Type", &content_type), ("X-CSRF-Token", token)],
        &body,
    )
}

fn uploads(b: &mut Browser, task: &str) -> Value {
    let r = b.get(&format!("/portal/api/tasks/{task}/documents"));
    assert_status(&r, 200, "the request");
    r.json()
}

pub fn documents_go_from_request_to_approval_over_http(s: &Server) {
    let mut jane = login(s, JANE);
    let token = csrf(&mut jane);
    let task = request(s, &mut jane, "Bank statements");
    assert_eq!(uploads(&mut jane, &task)["status"], "requested");

    let r = upload(
        &mut jane,
        &task,
        &token,
        &[
            Part::File("file", "Statement März.pdf", "application/pdf", PDF),
            Part::File("file", "receipt.png", "image/png", &png()),
        ],
    );
    assert_status(&r, 200, "upload");
    let doc = r.json();
    assert_eq!(doc["status"], "uploaded");
    let files = doc["uploads"][0]["files"]
        .as_array()
        .expect("files")
        .clone();
    assert_eq!(files.len(), 2, "{doc}");
    assert_eq!(files[0]["name"], "Statement März.pdf");
    assert_eq!(files[1]["content_type"], "image/png");

    // The download: the bytes, a safe name, never sniffed.
    let href = files[0]["href"].as_str().expect("href");
    let got = jane.get(href);
    assert_status(&got, 200, "download");
    assert_eq!(got.body, PDF);
    assert_eq!(got.header("content-type"), Some("application/pdf"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    let disposition = got.header("content-disposition").expect("disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''Statement%20M%C3%A4rz.pdf"),
        "{disposition}"
    );
    // Bob holds another client: Jane's file is not there for him.
    let mut bob = login(s, BOB);
    assert_status(&bob.get(href), 404, "another client's file");
    assert_status(
        &bob.get(&format!("/portal/api/files/{FORGED}")),
        404,
        "a forged id",
    );

    // One upload waits at a time.
    let again = upload(
        &mut jane,
        &task,
        &token,
        &[Part::File("file", "more.pdf", "application/pdf", PDF)],
    );
    assert_status(&again, 409, "a second upload while one waits");

    // Staff see it, reject it with notes; the contact uploads again as a page would.
    let upload_id = doc["uploads"][0]["id"].as_str().expect("upload").to_owned();
    let listed = s.admin("GET", &format!("/tasks/{task}/uploads"), None);
    assert_status(&listed, 200, "staff list");
    let staff_href = listed.json()["uploads"][0]["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["content_type"] == "application/pdf")
        .and_then(|f| f["href"].as_str())
        .expect("staff href")
        .to_owned();
    let staff_copy = s.admin("GET", staff_href.trim_start_matches("/admin/api"), None);
    assert_status(&staff_copy, 200, "staff download");
    assert_eq!(staff_copy.body, PDF);
    let r = s.admin(
        "POST",
        &format!("/uploads/{upload_id}/review"),
        Some(&json!({"decision": "rejected", "notes": "Page 2 is missing"})),
    );
    assert_status(&r, 200, "reject");
    let seen = uploads(&mut jane, &task);
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["uploads"][0]["review"]["notes"], "Page 2 is missing");
    assert!(seen["uploads"][0]["review"].get("by").is_none(), "{seen}");

    let body = multipart(&[
        Part::Field("csrf_token", &token),
        Part::File("file", "all pages.pdf", "application/pdf", PDF),
    ]);
    let content_type = multipart_type();
    let r = jane.request(
        "POST",
        &format!("/portal/api/tasks/{task}/files"),
        &[("Content-Type", &content_type)],
        &body,
    );
    assert_status(&r, 303, "a page's upload form");
    assert_eq!(
        r.header("location"),
        Some(&*format!("/portal/tasks/{task}"))
    );
    let page = jane.get(&format!("/portal/tasks/{task}"));
    assert_status(&page, 200, "the request's page");
    assert!(page.text().contains("all pages.pdf"), "{}", page.text());
    assert!(page.text().contains("Page 2 is missing"));

    let second = uploads(&mut jane, &task)["uploads"]
        .as_array()
        .expect("uploads")
        .iter()
        .find(|u| u["status"] == "uploaded")
        .and_then(|u| u["id"].as_str())
        .expect("the new upload")
        .to_owned();
    let r = s.admin(
        "POST",
        &format!("/uploads/{second}/review"),
        Some(&json!({"decision": "approved"})),
    );
    assert_status(&r, 200, "approve");
    assert_eq!(uploads(&mut jane, &task)["status"], "approved");
    let closed = upload(
        &mut jane,
        &task,
        &token,
        &[Part::File("file", "late.pdf", "application/pdf", PDF)],
    );
    assert_status(&closed, 409, "an approved request takes no more");
    let withdraw = jane.post_json(
        &format!("/portal/api/uploads/{second}/withdraw"),
        &token,
        &json!({}),
    );
    assert_status(&withdraw, 409, "a reviewed upload stays");

    // The Documents section lists it, approved; the download is in the access log.
    let documents = jane.get("/portal/documents");
    assert_status(&documents, 200, "documents page");
    assert!(documents.text().contains("Bank statements"));
    let jane_id = s.contact_id(JANE);
    let log = s.admin("GET", &format!("/contacts/{jane_id}/access-log"), None);
    assert_status(&log, 200, "access log");
    assert!(log.text().contains("file.downloaded"), "{}", log.text());
}

pub fn a_withdrawn_upload_is_gone_everywhere(s: &Server) {
    let mut jane = login(s, JANE);
    let token = csrf(&mut jane);
    let task = request(s, &mut jane, "Passport");
    let before = s.stored_blobs();
    let doc = upload(
        &mut jane,
        &task,
        &token,
        &[Part::File("file", "passport.pdf", "application/pdf", PDF)],
    )
    .json();
    assert_eq!(s.stored_blobs(), before.map(|n| n + 1), "one blob stored");
    let upload_id = doc["uploads"][0]["id"].as_str().expect("upload").to_owned();
    let file = doc["uploads"][0]["files"][0]["id"]
        .as_str()
        .expect("file")
        .to_owned();
    let r = jane.post_json(
        &format!("/portal/api/uploads/{upload_id}/withdraw"),
        &token,
        &json!({}),
    );
    assert_status(&r, 200, "withdraw");
    assert_eq!(r.json()["status"], "requested");
    assert_eq!(s.stored_blobs(), before, "its blob is deleted");
    assert_status(
        &jane.get(&format!("/portal/api/files/{file}")),
        404,
        "a withdrawn upload's file",
    );
    assert_status(
        &s.admin("GET", &format!("/files/{file}"), None),
        404,
        "staff too",
    );
    let review = s.admin(
        "POST",
        &format!("/uploads/{upload_id}/review"),
        Some(&json!({"decision": "approved"})),
    );
    assert_status(&review, 409, "a withdrawn upload is not reviewed");
}

pub fn hostile_uploads_are_refused_with_nothing_stored(s: &Server) {
    let mut jane = login(s, JANE);
    let token = csrf(&mut jane);
    let task = request(s, &mut jane, "Receipts");
    let before = s.stored_blobs();
    let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00rest of a program";
    let long = format!("{}.pdf", "a".repeat(300));
    let png = png();
    let cases: Vec<(&str, Vec<Part<'_>>, u16)> = vec![
        (
            "a path",
            vec![Part::File(
                "file",
                "../../etc/passwd.pdf",
                "application/pdf",
                PDF,
            )],
            400,
        ),
        (
            "an absolute path",
            vec![Part::File(
                "file",
                "/etc/passwd.pdf",
                "application/pdf",
                PDF,
            )],
            400,
        ),
        (
            "a NUL",
            vec![Part::File("file", "a\0b.pdf", "application/pdf", PDF)],
            400,
        ),
        (
            "an RTL override",
            vec![Part::File(
                "file",
                "invoice\u{202E}fdp.exe",
                "application/pdf",
                PDF,
            )],
            400,
        ),
        (
            "300 characters",
            vec![Part::File("file", &long, "application/pdf", PDF)],
            400,
        ),
        (
            "HTML renamed .pdf",
            vec![Part::File("file", "invoice.pdf", "application/pdf", html)],
            422,
        ),
        (
            "a program renamed .pdf",
            vec![Part::File("file", "invoice.pdf", "application/pdf", exe)],
            422,
        ),
        (
            "a PNG that is a PDF",
            vec![Part::File("file", "photo.png", "image/png", PDF)],
            422,
        ),
        (
            "a PNG declared as PDF",
            vec![Part::File("file", "photo.png", "application/pdf", &png)],
            422,
        ),
        (
            "an empty file",
            vec![Part::File("file", "empty.pdf", "application/pdf", b"")],
            400,
        ),
        ("no file", vec![Part::Field("note", "hello")], 422),
    ];
    for (what, parts, status) in cases {
        let r = upload(&mut jane, &task, &token, &parts);
        assert_status(&r, status, what);
        assert!(r.json()["error"].is_string(), "{what}: {}", r.text());
    }
    // A file before the CSRF field, with no header: refused before anything is read.
    let body = multipart(&[
        Part::File("file", "a.pdf", "application/pdf", PDF),
        Part::Field("csrf_token", &token),
    ]);
    let content_type = multipart_type();
    let r = jane.request(
        "POST",
        &format!("/portal/api/tasks/{task}/files"),
        &[("Content-Type", &content_type)],
        &body,
    );
    assert_status(&r, 403, "the token after the file");
    // 1,000 parts.
    let many: Vec<Part<'_>> = (0..1_000).map(|_| Part::Field("x", "y")).collect();
    assert!(
        (400..500).contains(&upload(&mut jane, &task, &token, &many).status),
        "1,000 parts"
    );
    // One byte over the limit (the demo firm's is the default, 25 MiB).
    let big = {
        let mut v = PDF.to_vec();
        v.resize(25 * 1024 * 1024 + 1, b' ');
        v
    };
    let r = upload(
        &mut jane,
        &task,
        &token,
        &[Part::File("file", "big.pdf", "application/pdf", &big)],
    );
    assert_status(&r, 413, "one byte over the limit");
    // Another client's request, a forged one.
    let mut bob = login(s, BOB);
    let bob_token = csrf(&mut bob);
    let r = upload(
        &mut bob,
        &task,
        &bob_token,
        &[Part::File("file", "a.pdf", "application/pdf", PDF)],
    );
    assert_status(&r, 404, "another client's request");
    let r = upload(
        &mut jane,
        FORGED,
        &token,
        &[Part::File("file", "a.pdf", "application/pdf", PDF)],
    );
    assert_status(&r, 404, "a forged request");

    assert_eq!(uploads(&mut jane, &task)["uploads"], json!([]), "no row");
    assert_eq!(s.stored_blobs(), before, "no blob");
    assert!(!s.log().contains("panicked"), "{}", s.log());
}

/// Staff attach `bytes` as the document to sign of `task`.
fn attach(s: &Server, task: &str, name: &str, bytes: &[u8]) -> Resp {
    s.admin_upload(
        &format!("/tasks/{task}/document"),
        &multipart(&[Part::File("file", name, "application/pdf", bytes)]),
    )
}

/// The document's hash as the task's page shows it.
fn shown_sha(b: &mut Browser, task: &str) -> String {
    b.get(&format!("/portal/api/tasks/{task}")).json()["evidence"]["document"]["sha256"]
        .as_str()
        .expect("a document")
        .to_owned()
}

pub fn signatures_and_publications_over_http(s: &Server) {
    let mut jane = login(s, JANE);
    let token = csrf(&mut jane);
    let client = me(&mut jane).json()["active_client"]["id"]
        .as_str()
        .expect("client")
        .to_owned();
    let r = s.admin(
        "POST",
        &format!("/clients/{client}/tasks"),
        Some(&json!({"title": "Sign the letter", "evidence": {"type": "signature"}})),
    );
    assert_status(&r, 201, "signature task");
    let task = r.json()["id"].as_str().expect("id").to_owned();
    // Staff cannot name a document in the definition: it is attached as a file.
    let forged = s.admin(
        "POST",
        &format!("/clients/{client}/tasks"),
        Some(&json!({"title": "x", "evidence": {"type": "signature", "document": {"file": FORGED, "name": "x", "sha256": "00"}}})),
    );
    assert_status(&forged, 400, "a document named in the definition");
    assert_status(
        &attach(s, &task, "not a pdf.pdf", &png()),
        422,
        "a PNG as the PDF",
    );
    let v1 = b"%PDF-1.7\n% version 1\n%%EOF\n";
    let v2 = b"%PDF-1.7\n% version 2\n%%EOF\n";
    assert_status(&attach(s, &task, "letter.pdf", v1), 200, "attach");
    let read = shown_sha(&mut jane, &task);
    assert_status(&attach(s, &task, "letter v2.pdf", v2), 200, "replace");
    let sign = |b: &mut Browser, body: Value| {
        b.post_json(&format!("/portal/api/tasks/{task}/sign"), &token, &body)
    };
    let r = sign(
        &mut jane,
        json!({"document_sha256": read, "consent": true, "typed_name": "Jane Doe"}),
    );
    assert_status(&r, 409, "a signature of the replaced document");
    let now = shown_sha(&mut jane, &task);
    let r = sign(
        &mut jane,
        json!({"document_sha256": now, "consent": true, "drawn_png": "bm90IGEgcG5n"}),
    );
    assert_status(&r, 422, "a drawn signature that is no PNG");
    let huge = "A".repeat(20 * 1024 * 1024);
    let r = sign(
        &mut jane,
        json!({"document_sha256": now, "consent": true, "drawn_png": huge}),
    );
    assert_status(&r, 413, "a 20 MB signature");
    let r = sign(
        &mut jane,
        json!({"document_sha256": now, "consent": false, "typed_name": "Jane Doe"}),
    );
    assert_status(&r, 422, "no consent");
    let r = sign(
        &mut jane,
        json!({"document_sha256": now, "consent": true, "typed_name": "Jane Doe"}),
    );
    assert_status(&r, 200, "sign");
    let v = jane.get(&format!("/portal/api/tasks/{task}/signature"));
    assert_status(&v, 200, "verification");
    let v = v.json();
    assert_eq!(
        (&v["matches"], &v["signer_name"], &v["signed_sha256"]),
        (&json!(true), &json!("Jane Doe"), &json!(now))
    );
    let page = jane.get(&format!("/portal/tasks/{task}/signature"));
    assert_status(&page, 200, "verification page");
    assert!(page.text().contains("Verified"), "{}", page.text());
    assert_status(
        &attach(s, &task, "v3.pdf", PDF),
        409,
        "the signed document stays",
    );

    // Published: a report shows in Documents and downloads.
    let r = s.admin_upload(
        &format!("/clients/{client}/files"),
        &multipart(&[
            Part::Field("as", "report"),
            Part::File("file", "Q3 report.pdf", "application/pdf", PDF),
        ]),
    );
    assert_status(&r, 201, "publish");
    let docs = jane.get(&format!("/portal/api/clients/{client}/documents"));
    let report = docs.json()["published"]
        .as_array()
        .expect("published")
        .iter()
        .find(|f| f["name"] == "Q3 report.pdf")
        .cloned()
        .unwrap_or_default();
    assert_eq!(report["name"], "Q3 report.pdf", "{}", docs.text());
    assert_eq!(report["purpose"], "report");
    let got = jane.get(report["href"].as_str().expect("href"));
    assert_eq!(got.body, PDF);
}

/// A body that says it is longer than it is: the upload breaks off, nothing stays.
pub fn an_upload_that_lies_about_its_length_stores_nothing(s: &Server) {
    use std::io::{Read as _, Write as _};
    let mut jane = login(s, JANE);
    let token = csrf(&mut jane);
    let task = request(s, &mut jane, "Lying length");
    let before = s.stored_blobs();
    let body = multipart(&[Part::File("file", "a.pdf", "application/pdf", PDF)]);
    let cookies: String = jane
        .jar
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let head = format!(
        "POST /portal/api/tasks/{task}/files HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookies}\r\n\
         X-CSRF-Token: {token}\r\nContent-Type: {ct}\r\nContent-Length: {len}\r\n\r\n",
        addr = s.addr,
        ct = multipart_type(),
        len = body.len() + 100_000,
    );
    let mut stream = std::net::TcpStream::connect(s.addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(&body).expect("body");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("half-close");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let status = String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok());
    // An answer, if the server gives one, is a 4xx; the connection may also just close.
    assert!(
        status.is_none_or(|c| (400..500).contains(&c)),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert_eq!(uploads(&mut jane, &task)["uploads"], json!([]), "no row");
    assert_eq!(s.stored_blobs(), before, "no blob");
}
