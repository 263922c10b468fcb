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

pub struct Client {
    pub base: u64,
}

mod config {
    pub fn load() -> Result<super::Client, std::num::ParseIntError> {
        Ok(super::Client { base: "1".parse()? })
    }
}

#[lambda(init = config::load)]
fn handler(event: Order, ctx: &Context, client: &Client) -> Result<Receipt, std::io::Error> {
    Ok(Receipt { id: event.id + client.base + ctx.request_id.len() as u64 })
}
