//! Files on S3-compatible object storage through the example servers: SeaweedFS started
//! on loopback, an axum and an actix-web server over one PostgreSQL database and one
//! bucket, each serving the files the other took in; with the object store stopped, an
//! upload answers 503 and leaves no row, and once it is back the next upload works.

use std::time::Duration;

use portal_core::blob::BlobStore as _;
use portal_core::testing::seaweed::{Weed, weed_or_skip};
use serde_json::json;

use super::cases::{assert_status, csrf, login, me};
use super::client::{Browser, Part, Resp, multipart, multipart_type};
use super::documents::PDF;
use super::server::{Db, Options, Scheme, Server, wall_clock};

const JANE: &str = "jane@example.com";

fn upload(b: &mut Browser, task: &str, token: &str, name: &str, bytes: &[u8]) -> Resp {
    let body = multipart(&[Part::File("file", name, "application/pdf", bytes)]);
    let content_type = multipart_type();
    b.request(
        "POST",
        &format!("/portal/api/tasks/{task}/files"),
        &[("Content-Type", &content_type), ("X-CSRF-Token", token)],
        &body,
    )
}

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
    assert_status(&r, 201, "request");
    r.json()["id"].as_str().expect("id").to_owned()
}

/// Waits until the object store takes and gives back a blob (its volume server can
/// lag its gateway after a start).
fn wait_until_writable(weed: &Weed) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = weed.storage();
    let deadline = wall_clock() + Duration::from_secs(90);
    runtime.block_on(async {
        loop {
            let probe = futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"probe"))]);
            match store.put(Box::pin(probe)).await {
                Ok(name) => {
                    store.delete(&name).await.expect("delete the probe");
                    return;
                }
                Err(e) if wall_clock() > deadline => {
                    panic!("SeaweedFS is not writable: {e:?}\n{}", weed.log_tail())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    });
}

pub fn two_servers_share_one_bucket_and_an_outage_is_503(axum: &str, actix: &str) {
    let test = "two_servers_share_one_bucket_and_an_outage_is_503";
    let Some(mut weed) = weed_or_skip(test) else {
        return;
    };
    weed.create_bucket();
    wait_until_writable(&weed);
    let options = Options {
        env: weed.env(),
        ..Options::default()
    };
    let Some(a) = Server::start_with(axum, Db::Postgres, Scheme::Http, &options) else {
        eprintln!("SKIPPED {test}: DATABASE_URL is not set");
        return;
    };
    let mut jane_a = login(&a, JANE);
    let token_a = csrf(&mut jane_a);
    let first = request(&a, &mut jane_a, "Statements, part 1");
    let r = upload(&mut jane_a, &first, &token_a, "part 1.pdf", PDF);
    assert_status(&r, 200, "upload through the axum server");
    let href_a = r.json()["uploads"][0]["files"][0]["href"]
        .as_str()
        .expect("href")
        .to_owned();

    // The second instance: same database, same bucket.
    let same = Options {
        env: weed.env(),
        database: a.postgres_url().map(str::to_owned),
        ..Options::default()
    };
    let b = Server::start_with(actix, Db::Postgres, Scheme::Http, &same).expect("postgres");
    let mut jane_b = login(&b, JANE);
    let token_b = csrf(&mut jane_b);
    let got = jane_b.get(&href_a);
    assert_status(
        &got,
        200,
        "the actix server serves the axum server's upload",
    );
    assert_eq!(got.body, PDF);
    let second = request(&b, &mut jane_b, "Statements, part 2");
    let other = b"%PDF-1.7\n% part 2\n%%EOF\n";
    let r = upload(&mut jane_b, &second, &token_b, "part 2.pdf", other);
    assert_status(&r, 200, "upload through the actix server");
    let href_b = r.json()["uploads"][0]["files"][0]["href"]
        .as_str()
        .expect("href")
        .to_owned();
    let got = jane_a.get(&href_b);
    assert_status(
        &got,
        200,
        "the axum server serves the actix server's upload",
    );
    assert_eq!(got.body, other);
    let staff = a.admin("GET", href_b.trim_start_matches("/portal/api"), None);
    assert_status(&staff, 200, "staff download across instances");

    // The object store goes down: an upload is 503 with Retry-After, and nothing stays.
    weed.stop();
    let third = request(&a, &mut jane_a, "Statements, part 3");
    let r = upload(&mut jane_a, &third, &token_a, "part 3.pdf", PDF);
    assert_status(&r, 503, "upload while the object store is down");
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    let seen = jane_a.get(&format!("/portal/api/tasks/{third}/documents"));
    assert_eq!(seen.json()["uploads"], json!([]), "no row");
    let gone = jane_a.get(&href_a);
    assert_status(&gone, 503, "a download while the object store is down");

    // Back: the next upload works, on either instance.
    weed.spawn().expect("restart SeaweedFS");
    weed.create_bucket();
    wait_until_writable(&weed);
    let r = upload(&mut jane_a, &third, &token_a, "part 3.pdf", PDF);
    assert_status(&r, 200, "the first upload after the restart");
    assert_eq!(
        jane_b.get(&href_a).body,
        PDF,
        "and the older files are there"
    );
}
