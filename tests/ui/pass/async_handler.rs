#![deny(warnings)]

use lambda_core::{Context, lambda};

#[lambda]
async fn handler(event: String, ctx: &Context) -> Result<String, lambda_core::Error> {
    Ok(format!("{event} {}", ctx.request_id))
}
