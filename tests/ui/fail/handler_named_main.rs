use lambda_core::lambda;

#[lambda]
fn main(event: String) -> String {
    event
}
