//! A route for tests only (the `testing` feature): `POST /api/__test/upload` stores every
//! file of an upload in a blob store of its own, in memory, and answers the last one
//! as a download. Through a real server, it shows that an adapter hands an upload over
//! as a stream and sends a streamed response back, without any domain behind it.

use super::context::Ctx;
use super::errors::WebError;
use super::multipart::{Part, Uploads};
use super::receive::{ReceiveError, ReceivedFile, delete_blobs, receive_file};
use super::response::Response;
use super::routing::Answer;
use crate::blob::{BlobName, BlobStore, FileStorage};

/// The most bytes of one file the probe stores: 25 MiB, as a real upload route's.
const MAX_FILE_BYTES: u64 = 25 * 1024 * 1024;

/// Stores each file of `uploads` and answers the last one as a download.
pub(super) async fn echo(_: &mut Ctx<'_>, mut uploads: Uploads) -> Answer {
    let store = FileStorage::memory();
    let mut stored: Vec<BlobName> = Vec::new();
    let mut last: Option<ReceivedFile> = None;
    let outcome: Result<(), WebError> = async {
        while let Some(part) = uploads.next_part().await? {
            if let Part::File(file) = part {
                let received = receive_file(&store, file, MAX_FILE_BYTES).await?;
                stored.push(received.blob.clone());
                last = Some(received);
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = outcome {
        // What a real route does when a later file fails: nothing of the upload stays.
        let _ = delete_blobs(&store, &stored).await;
        return Err(e);
    }
    let Some(file) = last else {
        return Err(WebError::BadRequest("no file"));
    };
    let stream = store.get(&file.blob).await.map_err(ReceiveError::Storage)?;
    Ok(Response::download(
        stream,
        &file.name,
        file.file_type.content_type(),
        file.size,
    ))
}
