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
fn handler(event: Order) -> Result<Receipt, String> {
    if event.id == 0 {
        return Err(format!("order {} does not exist", event.id));
    }
    Ok(Receipt { id: event.id })
}
