//! One HTTP function for every HTTP source (API Gateway REST and HTTP APIs, ALB, function
//! URLs): answers with the request's method, path, query and body, as text.
//!
//! ```sh
//! cargo run -q -p examples --bin http_echo < tests/events/http/function-url.json
//! ```

use lambda_core::http::{Request, Response, query_pairs};
use lambda_core::lambda;

#[lambda(http)]
fn handler(request: Request<String>) -> lambda_core::http::Result<Response<String>> {
    let query: Vec<String> = query_pairs(request.uri())
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let text = format!(
        "method: {}\npath: {}\nquery: {}\nbody: {}\n",
        request.method(),
        request.uri().path(),
        query.join("&"),
        request.body(),
    );
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(text)
}
