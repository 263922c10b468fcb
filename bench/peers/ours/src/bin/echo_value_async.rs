//! `echo_value` as an `async fn` (the `tokio` feature): what async costs a function that
//! awaits nothing.

#[lambda_core::lambda]
async fn handler(event: serde_json::Value) -> serde_json::Value {
    event
}
