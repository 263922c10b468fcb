use lambda_core::{lambda, Context};

pub struct Order {
    pub id: u64,
}

#[lambda]
fn handler(event: Order, _ctx: Context) -> u64 {
    event.id
}
