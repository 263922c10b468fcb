use lambda_core::http::{Request, Response};
use lambda_core::lambda;

#[lambda(http)]
fn handler(request: Request<u64>) -> Response<serde_json::Value> {
    Response::new(serde_json::json!(request.into_body()))
}
