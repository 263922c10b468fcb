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

#[lambda]
fn handler(event: Order) -> Result<Receipt, &'static str> {
    if event.id == 0 {
        return Err("no such order");
    }
    Ok(Receipt { id: event.id })
}
