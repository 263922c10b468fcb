use lambda_core::http::{Request, Response, StatusCode};
use lambda_core::{Context, lambda};

#[lambda(http)]
fn handler(request: Request<String>, ctx: &Context) -> Result<Response<String>, lambda_core::http::Error> {
    Response::builder()
        .status(StatusCode::OK)
        .body(format!("{} {}", request.body(), ctx.request_id))
}
