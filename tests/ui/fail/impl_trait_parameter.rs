use lambda_core::lambda;

#[lambda]
fn handler(event: impl serde::de::DeserializeOwned) -> String {
    let _ = event;
    String::new()
}
