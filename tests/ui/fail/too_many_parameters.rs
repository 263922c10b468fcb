use lambda_core::{lambda, Context};

#[lambda]
fn handler(event: String, ctx: Context, extra: u8) -> String {
    let _ = (ctx, extra);
    event
}
