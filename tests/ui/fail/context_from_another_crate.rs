// Stands in for `lambda_runtime`, whose `Context` a user migrating may import.
mod lambda_runtime {
    #[derive(Clone, Default)]
    pub struct Context {
        pub request_id: String,
    }
}

use lambda_core::lambda;
use lambda_runtime::Context;

#[lambda]
fn handler(event: String, ctx: &Context) -> String {
    format!("{event} {}", ctx.request_id)
}
