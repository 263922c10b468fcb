//! Each example against a mock Runtime API, asserting its exact response; and each run
//! on standard input as the README shows.

use lambda_tests::{Emulator, Event, Function, MockRuntimeApi, Recorded};

const HELLO: &str = env!("CARGO_BIN_EXE_hello");
const ECHO: &str = env!("CARGO_BIN_EXE_echo");
const REDIRECT: &str = env!("CARGO_BIN_EXE_redirect");
const HTTP_ECHO: &str = env!("CARGO_BIN_EXE_http_echo");
const SQS_BATCH: &str = env!("CARGO_BIN_EXE_sqs_batch");
const S3_NOTIFICATION: &str = env!("CARGO_BIN_EXE_s3_notification");
const SCHEDULED: &str = env!("CARGO_BIN_EXE_scheduled");
const DYNAMODB_STREAM: &str = env!("CARGO_BIN_EXE_dynamodb_stream");
const STREAM_LINES: &str = env!("CARGO_BIN_EXE_stream_lines");

/// A sample event from `tests/events/`.
fn sample(path: &str) -> String {
    let path = format!("{}/../tests/events/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Serves one event and returns the one post the function made, and what it printed.
fn invoke(binary: &str, env: &[(&str, &str)], event: &str) -> (Recorded, lambda_tests::Output) {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", event));
    let function = Function::against(binary, &mock.address(), env);
    mock.wait_for_posts(1);
    let output = function.stop();
    let posts = mock.posts();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    (posts[0].clone(), output)
}

#[test]
fn hello_greets_by_name_and_prints_the_event() {
    let (post, output) = invoke(HELLO, &[], r#"{"name":"world"}"#);
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/response");
    assert_eq!(post.body_text(), r#"{"message":"Hello, world!"}"#);
    assert_eq!(output.stdout, "Hello world\n{\"name\":\"world\"}\n");
}

#[test]
fn hello_without_a_name_is_an_error() {
    let (post, _) = invoke(HELLO, &[], r#"{"nom":"x"}"#);
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/error");
    assert_eq!(
        post.header("lambda-runtime-function-error-type"),
        Some("Function.SerdeJsonError")
    );
    assert_eq!(
        post.body_text(),
        r#"{"errorType":"SerdeJsonError","errorMessage":"missing field `name`","stackTrace":[]}"#
    );
}

#[test]
fn hello_on_standard_input() {
    let output = Function::run_with_stdin(HELLO, &[], "{\"name\":\"world\"}\n");
    assert_eq!(output.code(), Some(0));
    assert_eq!(
        output.stdout,
        "Hello world\n{\"name\":\"world\"}\n{\"message\":\"Hello, world!\"}\n"
    );
}

#[test]
fn echo_renders_the_proxy_request() {
    let event = r#"{
        "resource": "/{proxy+}", "path": "/orders/7", "httpMethod": "POST",
        "headers": {"Accept": "*/*"}, "multiValueHeaders": {"Accept": ["*/*"]},
        "queryStringParameters": {"q": "1"}, "multiValueQueryStringParameters": {"q": ["1"]},
        "pathParameters": {"proxy": "orders/7"}, "stageVariables": null,
        "requestContext": {"stage": "prod"}, "body": "{\"qty\":2}", "isBase64Encoded": false
    }"#;
    let (post, _) = invoke(ECHO, &[], event);
    let body = concat!(
        "POST /orders/7\n",
        "resource: \"/{proxy+}\"\n",
        "headers: {\"Accept\": \"*/*\"}\n",
        "multiValueHeaders: {\"Accept\": [\"*/*\"]}\n",
        "queryStringParameters: {\"q\": \"1\"}\n",
        "multiValueQueryStringParameters: {\"q\": [\"1\"]}\n",
        "pathParameters: {\"proxy\": \"orders/7\"}\n",
        "requestContext: \"{\\\"stage\\\":\\\"prod\\\"}\"\n",
        "body: \"{\\\"qty\\\":2}\"\n",
        "isBase64Encoded: false\n",
    );
    let expected = serde_json::json!({
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},
        "body": body,
        "isBase64Encoded": false,
    });
    assert_eq!(post.body_json(), expected);
}

#[test]
fn echo_needs_only_method_and_path() {
    let (post, _) = invoke(ECHO, &[], r#"{"httpMethod":"GET","path":"/"}"#);
    assert_eq!(
        post.body_text(),
        r#"{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"GET /\n","isBase64Encoded":false}"#
    );
}

/// `http_echo` answers each HTTP source's sample event in that source's shape.
#[test]
fn http_echo_answers_every_http_source() {
    let event = |name: &str| {
        let path = format!(
            "{}/../tests/events/http/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    };
    let text = |path: &str, query: &str| {
        let body = format!("method: POST\npath: {path}\nquery: {query}\nbody: {{\"qty\":2}}\n");
        serde_json::to_string(&body).unwrap()
    };
    let all = "q=rust lambda&tag=a&b&tag=c";
    let all_tags_first = "tag=a&b&tag=c&q=rust lambda";
    let cases = [
        (
            "api-gateway-rest",
            format!(
                r#"{{"statusCode":200,"multiValueHeaders":{{"content-type":["text/plain"]}},"body":{},"isBase64Encoded":false}}"#,
                text("/orders/7", all_tags_first)
            ),
        ),
        (
            "api-gateway-http",
            format!(
                r#"{{"statusCode":200,"headers":{{"content-type":"text/plain"}},"body":{},"isBase64Encoded":false}}"#,
                text("/prod/orders/7", all)
            ),
        ),
        (
            "function-url",
            format!(
                r#"{{"statusCode":200,"headers":{{"content-type":"text/plain"}},"body":{},"isBase64Encoded":false}}"#,
                text("/orders/7", all)
            ),
        ),
        (
            "alb",
            format!(
                r#"{{"statusCode":200,"statusDescription":"200 OK","headers":{{"content-type":"text/plain"}},"body":{},"isBase64Encoded":false}}"#,
                text("/orders/7", "q=rust lambda&tag=a&b")
            ),
        ),
        (
            "alb-multi-value",
            format!(
                r#"{{"statusCode":200,"statusDescription":"200 OK","multiValueHeaders":{{"content-type":["text/plain"]}},"body":{},"isBase64Encoded":false}}"#,
                text("/orders/7", all_tags_first)
            ),
        ),
    ];
    for (source, expected) in cases {
        let (post, _) = invoke(HTTP_ECHO, &[], &event(source));
        assert_eq!(post.body_text(), expected, "{source}");
    }
}

#[test]
fn http_echo_refuses_an_event_from_no_http_source() {
    let (post, _) = invoke(HTTP_ECHO, &[], r#"{"name":"world"}"#);
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/error");
    assert_eq!(
        post.body_json()["errorMessage"],
        "the event is not an HTTP request from an API Gateway REST API (v1) or HTTP API (v2), an ALB or a function URL: no `requestContext.http` (HTTP API, function URL) and no `httpMethod` (REST API, ALB)"
    );
}

#[test]
fn sqs_batch_reports_the_message_that_is_not_an_order() {
    let (post, output) = invoke(SQS_BATCH, &[], &sample("sqs.json"));
    assert_eq!(
        post.body_text(),
        r#"{"batchItemFailures":[{"itemIdentifier":"2e1424d4-f796-459a-8184-9c92662be6da"}]}"#
    );
    assert_eq!(output.stdout, "order 7: 2 items\norder 8: 1 items\n");
    assert_eq!(
        output.stderr_lines(),
        [
            "message 2e1424d4-f796-459a-8184-9c92662be6da is not an order: expected value at line 1 column 1"
        ]
    );
}

#[test]
fn s3_notification_prints_each_object_with_its_key_decoded() {
    let (post, output) = invoke(S3_NOTIFICATION, &[], &sample("s3.json"));
    assert_eq!(post.body_text(), "null");
    assert_eq!(
        output.stdout,
        "ObjectCreated:Put: s3://shop-photos/uploads/red floweré.jpg (1305107 bytes)\n\
         ObjectRemoved:Delete: s3://shop-photos/uploads/old.jpg\n"
    );
}

#[test]
fn scheduled_reports_for_the_day_the_rule_fired() {
    let (post, _) = invoke(SCHEDULED, &[], &sample("scheduled.json"));
    assert_eq!(
        post.body_text(),
        r#""report for 2026-12-03, rule nightly-report""#
    );
    let other = sample("scheduled.json").replace("Scheduled Event", "Object Created");
    let (post, _) = invoke(SCHEDULED, &[], &other);
    assert_eq!(
        post.body_text(),
        r#"{"errorType":"Error","errorMessage":"not a scheduled event: Object Created","stackTrace":[]}"#
    );
}

#[test]
fn dynamodb_stream_announces_shipped_orders_and_reports_the_record_it_cannot_read() {
    let (post, output) = invoke(DYNAMODB_STREAM, &[], &sample("dynamodb.json"));
    assert_eq!(
        post.body_text(),
        r#"{"batchItemFailures":[{"itemIdentifier":"333"}]}"#
    );
    assert_eq!(output.stdout, "order 7 shipped\n");
    assert_eq!(
        output.stderr_lines(),
        ["record eccbc87e4b5ce2fe28308fd9f2a7baf3 is not an order: Expected string"]
    );
}

#[test]
fn redirect_answers_307_to_the_configured_target() {
    let (post, _) = invoke(
        REDIRECT,
        &[("REDIRECT_TO", "https://example.com/new")],
        r#"{"path":"/old"}"#,
    );
    assert_eq!(
        post.body_text(),
        r#"{"statusCode":307,"headers":{"Location":"https://example.com/new"}}"#
    );
}

#[test]
fn redirect_without_a_target_is_an_init_error() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", "{}"));
    let output = Function::against(REDIRECT, &mock.address(), &[]).wait();
    assert_eq!(output.code(), Some(1));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].path, "/2018-06-01/runtime/init/error");
    assert_eq!(
        requests[0].header("lambda-runtime-function-error-type"),
        Some("Function.Error")
    );
    assert_eq!(
        requests[0].body_text(),
        r#"{"errorType":"Error","errorMessage":"REDIRECT_TO is not set; set it to the URL to redirect to","stackTrace":[]}"#
    );
}

/// The README's `curl` command against each example started as `cargo run` starts it
/// at a terminal (`--serve` stands in for the terminal).
#[test]
fn every_example_answers_the_rie_curl_command() {
    let cases = [
        (
            HELLO,
            vec![],
            r#"{"name":"world"}"#,
            r#"{"message":"Hello, world!"}"#,
        ),
        (
            ECHO,
            vec![],
            r#"{"httpMethod":"GET","path":"/"}"#,
            r#"{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"GET /\n","isBase64Encoded":false}"#,
        ),
        (
            HTTP_ECHO,
            vec![],
            r#"{"version":"2.0","rawPath":"/hi","requestContext":{"http":{"method":"GET"}}}"#,
            r#"{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"method: GET\npath: /hi\nquery: \nbody: \n","isBase64Encoded":false}"#,
        ),
        (
            REDIRECT,
            vec![("REDIRECT_TO", "https://example.com")],
            "{}",
            r#"{"statusCode":307,"headers":{"Location":"https://example.com"}}"#,
        ),
    ];
    for (binary, env, event, expected) in cases {
        let emulator = Emulator::start(binary, &env);
        let reply = emulator.invoke(event);
        emulator.function.stop();
        assert_eq!(
            (reply.status, reply.body.as_str(), reply.is_function_error()),
            (200, expected, false),
            "{binary}"
        );
    }
}

/// `stream_lines` streams its HTTP head, then one chunk per line, to a function URL.
#[test]
fn stream_lines_streams_a_line_at_a_time() {
    let event =
        sample("http/function-url.json").replace("q=rust%20lambda&tag=a%26b&tag=c", "count=3");
    let (post, _) = invoke(STREAM_LINES, &[], &event);
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/response");
    assert_eq!(
        post.header("content-type"),
        Some("application/vnd.awslambda.http-integration-response")
    );
    assert_eq!(
        post.header("lambda-runtime-function-response-mode"),
        Some("streaming")
    );
    let prelude =
        r#"{"statusCode":200,"headers":{"content-type":"text/plain; charset=utf-8"},"cookies":[]}"#;
    let expected = format!(
        "{:x}\r\n{prelude}\r\n8\r\n\0\0\0\0\0\0\0\0\r\n10\r\n1: 0 steps to 1\n\r\n10\r\n2: 1 steps to 1\n\r\n10\r\n3: 7 steps to 1\n\r\n0\r\n\r\n",
        prelude.len()
    );
    assert_eq!(String::from_utf8_lossy(&post.wire), expected);
}
