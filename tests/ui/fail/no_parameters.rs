use lambda_core::lambda;

#[lambda]
fn handler() -> String {
    String::new()
}
