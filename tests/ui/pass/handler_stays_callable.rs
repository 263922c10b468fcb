#![deny(warnings)]

use lambda_core::{lambda, Context};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Order {
    pub id: u64,
}

#[derive(Serialize)]
pub struct Receipt {
    pub id: u64,
}

#[lambda]
pub fn handler(event: Order, ctx: &Context) -> Receipt {
    Receipt { id: event.id + ctx.request_id.len() as u64 }
}

#[allow(dead_code)]
fn unit_test_style_call() -> Receipt {
    handler(Order { id: 1 }, &Context::default())
}
