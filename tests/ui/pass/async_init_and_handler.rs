#![deny(warnings)]

use lambda_core::{Context, lambda};

pub struct Clients {
    pub table: String,
}

async fn setup() -> Result<Clients, lambda_core::Error> {
    Ok(Clients { table: "orders".to_owned() })
}

#[lambda(init = setup)]
async fn handler(event: String, ctx: &Context, clients: &Clients) -> Result<String, std::io::Error> {
    Ok(format!("{event} {} {}", ctx.request_id, clients.table))
}
