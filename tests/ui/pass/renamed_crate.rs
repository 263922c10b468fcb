#![deny(warnings)]

// What a `lambda = { package = "lambda-core" }` rename does to paths, in one line.
extern crate lambda_core as aws_lambda;

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Order {
    pub id: u64,
}

#[derive(Serialize)]
pub struct Receipt {
    pub id: u64,
}

#[aws_lambda::lambda(crate = "aws_lambda")]
fn handler(event: Order, ctx: aws_lambda::Context) -> Receipt {
    Receipt { id: event.id + ctx.request_id.len() as u64 }
}
