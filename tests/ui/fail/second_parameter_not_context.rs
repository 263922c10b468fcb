use lambda_core::lambda;

#[lambda]
fn handler(event: String, config: &String) -> String {
    format!("{event}{config}")
}
