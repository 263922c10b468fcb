#![deny(warnings)]

// `crate = "…"`, `shutdown = …` and a state, with an async handler and an async init.
extern crate lambda_core as aws_lambda;

pub struct Clients {
    pub base: u64,
}

async fn setup() -> Clients {
    Clients { base: 1 }
}

fn flush_metrics() {}

#[aws_lambda::lambda(crate = "aws_lambda", init = setup, shutdown = flush_metrics)]
async fn handler(event: u64, ctx: aws_lambda::Context, clients: &Clients) -> Result<u64, String> {
    Ok(event + clients.base + ctx.request_id.len() as u64)
}
