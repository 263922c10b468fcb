// A type of the user's own that happens to be named `Context`, taken by value.
mod model {
    pub struct Context {
        pub user: String,
    }
}

use lambda_core::lambda;
use model::Context;

#[lambda]
fn handler(event: String, ctx: Context) -> String {
    format!("{event} {}", ctx.user)
}
