//! Answers every request with a redirect to the URL in `REDIRECT_TO`, read once at
//! start-up in the `init` hook: a missing variable is an init error, which Lambda shows
//! for the first invocation.
//!
//! ```sh
//! echo '{}' | REDIRECT_TO=https://example.com cargo run -q -p examples --bin redirect
//! ```

use lambda_core::lambda;
use serde::Serialize;
use std::collections::BTreeMap;

struct Target {
    location: String,
}

fn read_target() -> Result<Target, String> {
    match std::env::var("REDIRECT_TO") {
        Ok(location) if !location.trim().is_empty() => Ok(Target { location }),
        _ => Err("REDIRECT_TO is not set; set it to the URL to redirect to".to_owned()),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProxyResponse {
    status_code: u16,
    headers: BTreeMap<&'static str, String>,
}

#[lambda(init = read_target)]
fn handler(_request: serde_json::Value, target: &Target) -> ProxyResponse {
    ProxyResponse {
        status_code: 307,
        headers: BTreeMap::from([("Location", target.location.clone())]),
    }
}
