//! `#[lambda(http)]` against each HTTP source: a sample event per source (written from
//! AWS's documented shapes, under `tests/events/http/`), the request the handler saw
//! (`fixture_http` answers with it) and the exact response JSON the runtime posted.

use lambda_tests::{Event, MockRuntimeApi, Recorded};
use serde_json::{Value, json};

const FIXTURE: &str = env!("CARGO_BIN_EXE_fixture_http");

/// Serves one event and returns the one post the function made, and what it printed.
fn post_and_output(event: &str) -> (Recorded, lambda_tests::Output) {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", event));
    let (requests, output) = mock.run_until_posts(FIXTURE, &[], 1);
    let posts = lambda_tests::posts(&requests);
    assert_eq!(posts.len(), 1, "{posts:#?}");
    (posts[0].clone(), output)
}

fn post_for(event: &str) -> Recorded {
    post_and_output(event).0
}

/// The response the function posted, and the request its handler saw (the fixture's
/// body, parsed).
fn answer(event: &str) -> (Value, Value) {
    answer_and_output(event).0
}

fn answer_and_output(event: &str) -> ((Value, Value), lambda_tests::Output) {
    let (post, output) = post_and_output(event);
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/response");
    let mut response = post.body_json();
    let body = response["body"].as_str().expect("a text body").to_owned();
    response["body"] = json!("<what the handler saw>");
    let saw = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    ((response, saw), output)
}

/// The error report the function posted.
fn error_for(event: &str) -> Value {
    let post = post_for(event);
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/error");
    post.body_json()
}

fn pairs(pairs: &[(&str, &str)]) -> Value {
    pairs.iter().map(|(k, v)| json!([k, v])).collect()
}

#[test]
fn api_gateway_rest_api() {
    let (response, saw) = answer(include_str!("../events/http/api-gateway-rest.json"));
    assert_eq!(
        saw,
        json!({
            "method": "POST",
            "uri": "/orders/7?tag=a%26b&tag=c&q=rust%20lambda",
            "query": pairs(&[("tag", "a&b"), ("tag", "c"), ("q", "rust lambda")]),
            "headers": pairs(&[
                ("accept", "*/*"),
                ("content-type", "application/json"),
                ("host", "abc123.execute-api.us-east-1.amazonaws.com"),
                ("x-amzn-trace-id", "Root=1-5e66d96f-7491f09xmpl79d18acf3d050"),
                ("x-forwarded-for", "192.0.2.10"),
                ("x-forwarded-for", "198.51.100.7"),
            ]),
            "body": "{\"qty\":2}",
            "source": "ApiGatewayRest",
            "requestId": "77375676-xmpl-4b79-853a-f982474efe18",
            "pathParameters": pairs(&[("id", "7")]),
        })
    );
    assert_eq!(
        response,
        json!({
            "statusCode": 201,
            "multiValueHeaders": {
                "content-type": ["application/json"],
                "x-seen": ["1", "2"],
                "set-cookie": ["a=1; Secure", "b=2"],
            },
            "body": "<what the handler saw>",
            "isBase64Encoded": false,
        })
    );
}

#[test]
fn api_gateway_http_api() {
    let (response, saw) = answer(include_str!("../events/http/api-gateway-http.json"));
    assert_eq!(
        saw,
        json!({
            "method": "POST",
            "uri": "/prod/orders/7?q=rust+lambda&tag=a%26b&tag=c",
            "query": pairs(&[("q", "rust lambda"), ("tag", "a&b"), ("tag", "c")]),
            "headers": pairs(&[
                ("accept", "*/*"),
                ("content-length", "9"),
                ("content-type", "application/json"),
                ("host", "r3pmxmplak.execute-api.us-east-2.amazonaws.com"),
                ("user-agent", "curl/8.5.0"),
                ("x-amzn-trace-id", "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e"),
                ("x-forwarded-for", "192.0.2.10,198.51.100.7"),
                ("cookie", "session=abc; theme=dark"),
            ]),
            "body": "{\"qty\":2}",
            "source": "ApiGatewayHttp",
            "requestId": "JKJaXmPLvHcESHA=",
            "pathParameters": pairs(&[("id", "7")]),
        })
    );
    assert_eq!(
        response,
        json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-seen": "1, 2"},
            "cookies": ["a=1; Secure", "b=2"],
            "body": "<what the handler saw>",
            "isBase64Encoded": false,
        })
    );
}

#[test]
fn function_url() {
    let (response, saw) = answer(include_str!("../events/http/function-url.json"));
    assert_eq!(saw["uri"], "/orders/7?q=rust%20lambda&tag=a%26b&tag=c");
    assert_eq!(
        saw["query"],
        pairs(&[("q", "rust lambda"), ("tag", "a&b"), ("tag", "c")])
    );
    assert_eq!(saw["source"], "FunctionUrl");
    assert_eq!(saw["body"], "{\"qty\":2}");
    assert_eq!(saw["requestId"], "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111");
    assert_eq!(saw["pathParameters"], json!([]));
    let headers = saw["headers"].as_array().unwrap();
    assert_eq!(headers.len(), 9, "{headers:?}");
    assert_eq!(headers[0], json!(["accept", "*/*"]));
    assert_eq!(headers[8], json!(["cookie", "session=abc"]));
    assert_eq!(
        response,
        json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-seen": "1, 2"},
            "cookies": ["a=1; Secure", "b=2"],
            "body": "<what the handler saw>",
            "isBase64Encoded": false,
        })
    );
}

#[test]
fn a_rest_api_event_without_multi_value_headers_is_answered_with_them() {
    let event = r#"{"httpMethod":"GET","path":"/","headers":null,"multiValueHeaders":null}"#;
    let (response, saw) = answer(event);
    assert_eq!(saw["headers"], json!([]));
    assert_eq!(
        response["multiValueHeaders"]["set-cookie"],
        json!(["a=1; Secure", "b=2"])
    );
}

#[test]
fn an_http_api_path_is_taken_as_decoded_and_a_function_url_path_as_sent() {
    let event = with_path(
        include_str!("../events/http/api-gateway-http.json"),
        "/files/100%/a b",
    );
    assert_eq!(
        answer(&event).1["uri"],
        "/files/100%25/a%20b?q=rust+lambda&tag=a%26b&tag=c"
    );
    let event = with_path(
        include_str!("../events/http/function-url.json"),
        "/files/%41/a b",
    );
    assert_eq!(
        answer(&event).1["uri"],
        "/files/%41/a%20b?q=rust%20lambda&tag=a%26b&tag=c"
    );
}

#[test]
fn alb_with_single_value_headers() {
    let ((response, saw), output) = answer_and_output(include_str!("../events/http/alb.json"));
    // ALB does not decode the query; the handler decodes it once.
    assert_eq!(saw["uri"], "/orders/7?q=rust%20lambda&tag=a%26b");
    assert_eq!(saw["query"], pairs(&[("q", "rust lambda"), ("tag", "a&b")]));
    assert_eq!(saw["source"], "Alb");
    assert_eq!(saw["requestId"], Value::Null);
    assert_eq!(saw["body"], "{\"qty\":2}");
    assert_eq!(saw["headers"].as_array().unwrap().len(), 8);
    assert_eq!(
        response,
        json!({
            "statusCode": 201,
            "statusDescription": "201 Created",
            "headers": {
                "content-type": "application/json",
                "x-seen": "1, 2",
                "set-cookie": "b=2",
            },
            "body": "<what the handler saw>",
            "isBase64Encoded": false,
        })
    );
    assert_eq!(
        output.stderr_lines(),
        [
            "lambda_core: this ALB target group takes one value per header: only the last of 2 set-cookie headers is sent; turn on multi-value headers on the target group to send them all"
        ]
    );
}

#[test]
fn alb_with_multi_value_headers() {
    let (response, saw) = answer(include_str!("../events/http/alb-multi-value.json"));
    assert_eq!(saw["uri"], "/orders/7?tag=a%26b&tag=c&q=rust%20lambda");
    assert_eq!(
        saw["query"],
        pairs(&[("tag", "a&b"), ("tag", "c"), ("q", "rust lambda")])
    );
    assert_eq!(saw["body"], "{\"qty\":2}");
    let headers = saw["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["x-forwarded-for", "192.0.2.10"])));
    assert!(headers.contains(&json!(["x-forwarded-for", "198.51.100.7"])));
    assert_eq!(
        response,
        json!({
            "statusCode": 201,
            "statusDescription": "201 Created",
            "multiValueHeaders": {
                "content-type": ["application/json"],
                "x-seen": ["1", "2"],
                "set-cookie": ["a=1; Secure", "b=2"],
            },
            "body": "<what the handler saw>",
            "isBase64Encoded": false,
        })
    );
}

/// Every source's sample event, with its path set to `path`.
fn with_path(event: &str, path: &str) -> String {
    let mut event: Value = serde_json::from_str(event).unwrap();
    let key = if event.get("rawPath").is_some() {
        "rawPath"
    } else {
        "path"
    };
    event[key] = json!(path);
    event.to_string()
}

#[test]
fn a_binary_body_goes_base64_encoded() {
    let event = with_path(
        include_str!("../events/http/function-url.json"),
        "/logo.png",
    );
    let response = post_for(&event).body_json();
    assert_eq!(
        response,
        json!({
            "statusCode": 200,
            "headers": {"content-type": "image/png"},
            "body": "iVBORw0KGgr/",
            "isBase64Encoded": true,
        })
    );
}

#[test]
fn a_handler_error_is_an_error_report() {
    let event = with_path(
        include_str!("../events/http/api-gateway-rest.json"),
        "/fail",
    );
    assert_eq!(
        error_for(&event),
        json!({"errorType": "Error", "errorMessage": "the order service is down", "stackTrace": []})
    );
}

#[test]
fn a_response_header_that_is_not_utf8_is_an_invalid_response() {
    let event = with_path(include_str!("../events/http/alb.json"), "/latin1");
    assert_eq!(
        error_for(&event),
        json!({
            "errorType": "Runtime.InvalidResponse",
            "errorMessage": "could not encode the HTTP response: the value of header `x-name` is not UTF-8",
            "stackTrace": [],
        })
    );
}

#[test]
fn an_event_from_no_http_source_names_the_sources_and_the_misfit() {
    let tried = "the event is not an HTTP request from an API Gateway REST API (v1) or HTTP API (v2), an ALB or a function URL";
    let cases = [
        (
            r#"{"Records":[{"eventSource":"aws:sqs"}]}"#,
            "no `requestContext.http` (HTTP API, function URL) and no `httpMethod` (REST API, ALB)",
        ),
        (
            r#"{"version":"2.0","rawPath":"/"}"#,
            "an HTTP API (v2) or function URL event needs `requestContext.http.method`",
        ),
        (
            r#"{"version":"2.0","requestContext":{"http":{"method":"GET"}}}"#,
            "an HTTP API (v2) or function URL event needs `rawPath`",
        ),
        (
            r#"{"httpMethod":"GET","requestContext":{"elb":{}}}"#,
            "an ALB event needs `path`",
        ),
        (
            r#"{"httpMethod":"GET","path":"/","headers":["accept"]}"#,
            "`headers`: invalid type: sequence, expected an object at line 1 column 41",
        ),
        (
            r#"[1, 2]"#,
            "invalid type: sequence, expected a JSON object at line 1 column 0",
        ),
    ];
    for (event, misfit) in cases {
        assert_eq!(
            error_for(event),
            json!({
                "errorType": "Runtime.InvalidEvent",
                "errorMessage": format!("{tried}: {misfit}"),
                "stackTrace": [],
            }),
            "{event}"
        );
    }
}

#[test]
fn an_event_from_a_known_source_with_a_bad_field_names_the_source_and_the_field() {
    let many_headers: serde_json::Map<String, Value> =
        (0..33_000).map(|i| (format!("h{i}"), json!("1"))).collect();
    let too_many = json!({"httpMethod": "GET", "path": "/", "headers": many_headers}).to_string();
    let cases = [
        (
            r#"{"httpMethod":"GET","path":"/","body":"not base64!","isBase64Encoded":true}"#,
            "the API Gateway REST API event is not a valid HTTP request: `body` is flagged `isBase64Encoded` but is not base64",
        ),
        (
            r#"{"httpMethod":"G T","path":"/","requestContext":{"elb":{}}}"#,
            "the ALB event is not a valid HTTP request: the method \"G T\" is not an HTTP method",
        ),
        (
            r#"{"version":"2.0","rawPath":"orders","requestContext":{"http":{"method":"GET"}}}"#,
            "the API Gateway HTTP API event is not a valid HTTP request: the path \"orders\" does not start with `/`",
        ),
        (
            r#"{"version":"2.0","rawPath":"/","headers":{"a b":"1"},"requestContext":{"http":{"method":"GET"},"domainName":"x.lambda-url.us-east-1.on.aws"}}"#,
            "the function URL event is not a valid HTTP request: the header name \"a b\" is not valid",
        ),
        (
            too_many.as_str(),
            "the API Gateway REST API event is not a valid HTTP request: more than 32768 headers",
        ),
    ];
    for (event, message) in cases {
        assert_eq!(
            error_for(event),
            json!({"errorType": "Runtime.InvalidEvent", "errorMessage": message, "stackTrace": []}),
            "{}",
            &event[..event.len().min(200)]
        );
    }
}
