//! `#[lambda(http)]` in a crate that does not turn on lambda-core's `http` feature:
//! tests/tests/bare_build.rs checks that rustc names the feature. (The workspace cannot
//! check it: another crate there turns the feature on.)

use lambda_core::http::{Request, Response};

#[lambda_core::lambda(http)]
fn handler(request: Request<String>) -> Response<String> {
    Response::new(request.into_body())
}
