//! Has a shutdown hook that writes `SHUTDOWN_MARKER`, so a test can see it ran.

use lambda_core::lambda;

fn on_shutdown() {
    if let Ok(path) = std::env::var("SHUTDOWN_MARKER") {
        let _ = std::fs::write(path, "shut down");
    }
}

#[lambda(shutdown = on_shutdown)]
fn handler(event: serde_json::Value) -> serde_json::Value {
    event
}
