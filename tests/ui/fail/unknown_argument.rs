use lambda_core::lambda;

#[lambda(setup = init)]
fn handler(event: String) -> String {
    event
}
