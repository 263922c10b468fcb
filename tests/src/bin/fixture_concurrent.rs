//! For the Managed Instances tests: each invocation first waits until `meet` invocations
//! have been in flight at once (or gives up after a while), then answers, fails, panics,
//! or holds until a file exists, as `then` says. Its answer says what it saw.

use lambda_core::{Context, lambda};
use lambda_tests::{InFlight, PATIENCE};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Deserialize)]
struct Command {
    meet: usize,
    then: Then,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Then {
    Answer,
    Fail,
    Panic,
    /// Says `holding <request id>` on standard error, waits until the file at this path
    /// exists (or gives up after a while), then answers.
    HoldUntil(String),
}

fn setup() -> InFlight {
    InFlight::default()
}

#[lambda(init = setup)]
fn handler(command: Command, ctx: &Context, in_flight: &InFlight) -> Result<Value, String> {
    let _entered = in_flight.enter();
    let met = in_flight.wait_for(command.meet);
    if let Then::HoldUntil(path) = &command.then {
        eprintln!("holding {}", ctx.request_id);
        let deadline = Instant::now() + PATIENCE;
        while !std::path::Path::new(path).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    match command.then {
        Then::Answer | Then::HoldUntil(_) => Ok(json!({
            "request_id": ctx.request_id,
            "xray_trace_id": ctx.xray_trace_id,
            "trace_env": std::env::var("_X_AMZN_TRACE_ID").ok(),
            "met": met,
            "thread": std::thread::current().name(),
        })),
        Then::Fail => Err(format!("{} failed on purpose", ctx.request_id)),
        Then::Panic => panic!("{} panicked on purpose", ctx.request_id),
    }
}
