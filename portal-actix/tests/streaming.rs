//! Uploads and downloads through a real actix-web server: a multi-MiB multipart body
//! crosses from actix's payload to the portal as a stream, and a download is sent back
//! as one.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use actix_web::{App, HttpServer};
use portal_actix::PortalMiddleware;
use portal_core::MemoryStore;
use portal_core::testing::upload::upload_round_trip;
use portal_core::testing::{Fixture, World};

#[test]
fn an_upload_streams_in_and_its_download_streams_out() {
    actix_web::rt::System::new().block_on(async {
        let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
        let web = w.web().await;
        let login = w.login(w.jane.id).await;
        let served = web.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(PortalMiddleware::new(served.clone()))
                .configure(portal_actix::configure(served.clone()))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        upload_round_trip(addr, &web, &login).await;
        handle.stop(false).await;
    });
}
