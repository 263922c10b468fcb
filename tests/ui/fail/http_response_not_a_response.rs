use lambda_core::http::Request;
use lambda_core::lambda;

#[lambda(http)]
fn handler(request: Request<String>) -> Result<String, std::io::Error> {
    Ok(request.into_body())
}
