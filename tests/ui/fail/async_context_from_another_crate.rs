use lambda_core::lambda;

mod other {
    pub struct Context;
}

#[lambda]
async fn handler(event: String, ctx: &other::Context) -> String {
    let _ = ctx;
    event
}
