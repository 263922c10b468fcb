//! Echo through AWS's `lambda_runtime::run_concurrent` (its `concurrency-tokio`
//! feature), which serves `AWS_LAMBDA_MAX_CONCURRENCY` at once.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run_concurrent(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
