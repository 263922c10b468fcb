//! Has an `init` whose outcome `FIXTURE_INIT` chooses: `ok`, `error` or `panic`.

use lambda_core::{Context, lambda};
use std::sync::atomic::{AtomicUsize, Ordering};

static INIT_CALLS: AtomicUsize = AtomicUsize::new(0);

struct State {
    greeting: String,
}

#[derive(Debug)]
struct ConfigError(String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

fn setup() -> Result<State, ConfigError> {
    INIT_CALLS.fetch_add(1, Ordering::SeqCst);
    match std::env::var("FIXTURE_INIT").as_deref() {
        Ok("ok") => Ok(State {
            greeting: "hi".to_owned(),
        }),
        Ok("panic") => panic!("init panicked"),
        other => Err(ConfigError(format!("FIXTURE_INIT is {other:?}"))),
    }
}

#[lambda(init = setup)]
fn handler(event: String, ctx: Context, state: &State) -> serde_json::Value {
    serde_json::json!({
        "greeting": format!("{} {event}", state.greeting),
        "request_id": ctx.request_id,
        "init_calls": INIT_CALLS.load(Ordering::SeqCst),
    })
}
