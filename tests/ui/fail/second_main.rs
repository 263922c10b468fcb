use lambda_core::lambda;

#[lambda]
fn handler(event: String) -> String {
    event
}

fn main() {}
