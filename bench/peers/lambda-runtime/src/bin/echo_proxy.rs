//! Echo through AWS's `lambda_runtime`, decoding into a typed API Gateway proxy request.

#[path = "../../../shapes.rs"]
mod shapes;

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<shapes::ProxyRequest>| async move { Ok::<_, Error>(event.payload) })).await
}
