use lambda_core::lambda;

#[lambda]
struct Handler;
