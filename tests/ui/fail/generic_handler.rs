use lambda_core::lambda;

#[lambda]
fn handler<T>(event: T) -> T {
    event
}
