#![deny(warnings)]

use lambda_core::lambda;
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

fn setup() -> Client {
    Client { base: 1 }
}

#[lambda(init = setup)]
fn handler(event: Order, client: &Client) -> Receipt {
    Receipt { id: event.id + client.base }
}
