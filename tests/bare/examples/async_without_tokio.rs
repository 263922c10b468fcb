//! An `async fn` handler in a crate that does not turn on lambda-core's `tokio` feature:
//! tests/tests/bare_build.rs checks that it fails with one error, at `async`, that names
//! the feature. (The workspace cannot check it: another crate there turns the feature on.)

#[lambda_core::lambda]
async fn handler(event: String) -> String {
    event
}
