#![deny(warnings)]

// Every form of `#[lambda(stream)]`: with the context and init's state before the
// stream, over HTTP, and async; each module's handler is compiled, the last one served.
mod with_state {
    use lambda_core::{Context, ResponseStream, lambda};
    use std::io::Write;

    fn setup() -> String {
        "hello".to_owned()
    }

    #[lambda(stream, init = setup)]
    fn handler(
        event: String,
        ctx: Context,
        greeting: &String,
        out: &mut ResponseStream,
    ) -> std::io::Result<()> {
        writeln!(out, "{greeting} {event} {}", ctx.request_id)
    }
}

mod over_http {
    use lambda_core::http::{Request, Response};
    use lambda_core::{ResponseStream, lambda};
    use std::io::Write;

    #[lambda(http, stream)]
    fn handler(request: Request<String>, out: &mut ResponseStream) {
        let _ = out.send_head(Response::builder().status(200));
        let _ = out.write_all(request.body().as_bytes());
    }
}

use lambda_core::{ResponseStream, lambda};
use std::io::Write;

// An `async fn` names the stream's lifetime, as Rust asks of every async fn.
#[lambda(stream)]
async fn handler(event: String, out: &mut ResponseStream<'_>) -> Result<(), lambda_core::Error> {
    out.write_all(event.as_bytes())?;
    Ok(())
}
