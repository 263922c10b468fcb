#![deny(warnings)]

use lambda_core::{Context, lambda};
use serde_json::Value;

fn init_logging() {}

#[lambda(init = init_logging)]
fn handler(event: Value, ctx: &Context) -> String {
    format!("{event} {}", ctx.request_id)
}
