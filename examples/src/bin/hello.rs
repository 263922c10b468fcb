//! The classic first function: greets whoever the event names.
//!
//! ```sh
//! echo '{"name":"world"}' | cargo run -q -p examples --bin hello
//! ```

use lambda_core::{Context, lambda};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    name: String,
}

#[derive(Serialize)]
struct Response {
    message: String,
}

#[lambda]
fn handler(event: serde_json::Value, _ctx: Context) -> Result<Response, serde_json::Error> {
    // Standard output goes to CloudWatch Logs on Lambda.
    println!("Hello world");
    println!("{event}");
    let request: Request = serde_json::from_value(event)?;
    Ok(Response {
        message: format!("Hello, {}!", request.name),
    })
}
