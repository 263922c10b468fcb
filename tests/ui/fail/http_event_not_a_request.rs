use lambda_core::http::Response;
use lambda_core::lambda;

#[lambda(http)]
fn handler(event: String) -> Response<String> {
    Response::new(event)
}
