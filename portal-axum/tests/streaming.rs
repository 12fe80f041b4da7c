//! Uploads and downloads through a real axum server: a multi-MiB multipart body is
//! handed to the portal as a stream and a download is sent back as one.

#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;

use portal_core::MemoryStore;
use portal_core::testing::upload::upload_round_trip;
use portal_core::testing::{Fixture, World};

#[tokio::test]
async fn an_upload_streams_in_and_its_download_streams_out() {
    let w = World::new(Fixture::single(Arc::new(MemoryStore::new()))).await;
    let web = w.web().await;
    let login = w.login(w.jane.id).await;
    let app = portal_axum::router::<()>(web.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    upload_round_trip(addr, &web, &login).await;
    server.abort();
}
