use lambda_core::lambda;

#[lambda]
fn handler(event: &str) -> String {
    event.to_uppercase()
}
