use lambda_core::lambda;

const SETUP: u8 = 1;

#[lambda(init = SETUP)]
fn handler(event: String, state: &u8) -> String {
    format!("{event} {state}")
}
