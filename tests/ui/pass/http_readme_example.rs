// The README's "HTTP functions" example, as written there.
use lambda_core::http::{query_pairs, Request, Response};
use lambda_core::lambda;

#[lambda(http)]
fn handler(request: Request<String>) -> lambda_core::http::Result<Response<String>> {
    let name = query_pairs(request.uri()).into_iter().find(|(k, _)| k == "name");
    Response::builder()
        .header("content-type", "text/plain")
        .body(format!("hello, {}", name.map_or("world".into(), |(_, v)| v)))
}
