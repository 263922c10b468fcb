//! Streams 10 MiB (lambda_runtime's prelude, then 160 pieces of 64 KiB) through
//! lambda_runtime's `streaming::channel`, as its documentation shows: the streaming
//! comparison's function.

use lambda_runtime::streaming::{Body, Response, channel};
use lambda_runtime::{Error, LambdaEvent, service_fn};

static PIECE: [u8; 64 * 1024] = [b'x'; 64 * 1024];

async fn handler(_event: LambdaEvent<serde_json::Value>) -> Result<Response<Body>, Error> {
    let (mut sender, body) = channel();
    tokio::spawn(async move {
        for _ in 0..160 {
            if sender.send_data((&PIECE[..]).into()).await.is_err() {
                return;
            }
        }
    });
    Ok(Response::from(body))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
