//! Streams 10 MiB (an HTTP head, then 160 writes of 64 KiB) with `#[lambda(stream)]`:
//! the streaming comparison's function.

use lambda_core::http::Response;
use lambda_core::{ResponseStream, lambda};
use std::io::Write;

static PIECE: [u8; 64 * 1024] = [b'x'; 64 * 1024];

#[lambda(stream)]
fn handler(_event: serde_json::Value, out: &mut ResponseStream) -> std::io::Result<()> {
    out.send_head(Response::builder().header("content-type", "application/octet-stream"))?;
    for _ in 0..160 {
        out.write_all(&PIECE)?;
    }
    Ok(())
}
