#![deny(warnings)]

use lambda_core::{Context, lambda};

#[lambda]
async fn handler(event: u64, ctx: Context) -> String {
    format!("{event} {}", ctx.request_id)
}
