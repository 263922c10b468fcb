//! An HTTP function that answers with what it saw, as JSON, with headers and cookies of
//! its own, so that a test can check both directions for each source. `/fail` returns
//! an error; a path ending in `.png` answers bytes; `/latin1` a header that is not UTF-8.

use lambda_core::http::{HeaderValue, Request, RequestContext, Response, StatusCode, query_pairs};
use lambda_core::lambda;

#[lambda(http)]
fn handler(request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, lambda_core::Error> {
    let path = request.uri().path();
    if path == "/fail" {
        return Err("the order service is down".into());
    }
    if path == "/latin1" {
        let header = HeaderValue::from_bytes(b"caf\xe9")?;
        return Ok(Response::builder()
            .header("x-name", header)
            .body(Vec::new())?);
    }
    if path.ends_with(".png") {
        let png = Response::builder()
            .header("content-type", "image/png")
            .body(b"\x89PNG\r\n\x1a\n\xff".to_vec())?;
        return Ok(png);
    }
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap_or("<not text>")))
        .collect();
    let context = request.extensions().get::<RequestContext>();
    let saw = serde_json::json!({
        "method": request.method().as_str(),
        "uri": request.uri().to_string(),
        "query": query_pairs(request.uri()),
        "headers": headers,
        "body": String::from_utf8_lossy(request.body()),
        "source": context.map(|context| format!("{:?}", context.source)),
        "requestId": context.and_then(|context| context.json.get("requestId").cloned()),
        "pathParameters": context.map(|context| context.path_parameters.clone()),
    });
    let response = Response::builder()
        .status(StatusCode::CREATED)
        .header("content-type", "application/json")
        .header("x-seen", "1")
        .header("x-seen", "2")
        .header("set-cookie", "a=1; Secure")
        .header("set-cookie", "b=2")
        .body(saw.to_string().into_bytes())?;
    Ok(response)
}
