use lambda_core::lambda;

fn flush(reason: &str) -> usize {
    reason.len()
}

#[lambda(shutdown = flush)]
fn handler(event: String) -> String {
    event
}
