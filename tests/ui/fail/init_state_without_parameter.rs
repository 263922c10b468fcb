use lambda_core::lambda;

fn setup() -> u8 { 1 }

#[lambda(init = setup)]
fn handler(event: String) -> String {
    event
}
