use lambda_core::lambda;

fn a() -> u8 { 1 }
fn b() -> u8 { 2 }

#[lambda(init = a, init = b)]
fn handler(event: String, state: &u8) -> String {
    format!("{event}{state}")
}
