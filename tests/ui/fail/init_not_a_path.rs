use lambda_core::lambda;

#[lambda(init = "setup")]
fn handler(event: String, state: &u8) -> String {
    format!("{event}{state}")
}
