#![deny(warnings)]

use lambda_core::lambda;

fn flush_metrics() {}

#[lambda(shutdown = flush_metrics)]
fn handler(event: serde_json::Value) -> serde_json::Value {
    event
}
