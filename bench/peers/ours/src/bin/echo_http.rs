//! An HTTP function through `#[lambda(http)]` (the `http` feature): the request's body
//! back as text, to weigh what the feature adds to a binary.

use lambda_core::http::{Request, Response};

#[lambda_core::lambda(http)]
fn handler(request: Request<String>) -> Response<String> {
    Response::new(request.into_body())
}
