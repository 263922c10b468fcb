//! Echo through `#[lambda]`, decoding into a typed API Gateway proxy request.

#[path = "../../../shapes.rs"]
mod shapes;

#[lambda_core::lambda]
fn handler(event: shapes::ProxyRequest) -> shapes::ProxyRequest {
    event
}
