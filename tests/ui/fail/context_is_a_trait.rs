// Stands in for `anyhow`, whose `Context` is a trait a user may have imported.
mod anyhow {
    pub trait Context {}
}

use anyhow::Context;
use lambda_core::lambda;

#[lambda]
fn handler(event: String, _ctx: &Context) -> String {
    event
}
