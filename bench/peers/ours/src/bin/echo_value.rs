//! Echo through `#[lambda]`, decoding into a `serde_json::Value`.

#[lambda_core::lambda]
fn handler(event: serde_json::Value) -> serde_json::Value {
    event
}
