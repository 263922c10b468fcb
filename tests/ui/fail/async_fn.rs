use lambda_core::lambda;

#[lambda]
async fn handler(event: String) -> String {
    event
}
