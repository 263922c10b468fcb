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

use lambda_core::{Diagnose, Diagnostic};

#[derive(Debug)]
pub struct OutOfStock(u64);

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "order {} is out of stock", self.0)
    }
}

impl Diagnose for OutOfStock {
    fn diagnostic(&self) -> Diagnostic {
        Diagnostic::new("OutOfStock", self.to_string())
    }
}

#[lambda]
fn handler(event: Order) -> Result<Receipt, OutOfStock> {
    Err(OutOfStock(event.id))
}
