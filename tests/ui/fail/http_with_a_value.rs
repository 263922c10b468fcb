use lambda_core::lambda;

#[lambda(http = true, http)]
fn handler(event: String) -> String {
    event
}
