//! An `async fn` init without lambda-core's `tokio` feature: one error at `init = setup`
//! that names the feature (see tests/tests/bare_build.rs).

async fn setup() -> String {
    "state".to_owned()
}

#[lambda_core::lambda(init = setup)]
fn handler(event: String, state: &String) -> String {
    format!("{event} {state}")
}
