use lambda_core::lambda;

#[lambda]
fn handler(event: String) -> String {
    event
}

#[lambda]
fn other(event: u8) -> u8 {
    event
}
