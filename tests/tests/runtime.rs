//! The runtime loop against a mock Runtime API: what it sends, and how it ends.

use lambda_tests::{Event, Function, MockRuntimeApi, Reply, answer, posts};
use serde_json::json;

const FAULTS: &str = env!("CARGO_BIN_EXE_fixture_faults");
const INSPECT: &str = env!("CARGO_BIN_EXE_fixture_inspect");

/// Every runtime message is one line with the same prefix.
fn assert_runtime_lines(stderr: &str) {
    for line in stderr.lines() {
        assert!(
            line.starts_with("lambda_core: "),
            "not a runtime line: {line:?}\nin:\n{stderr}"
        );
    }
}

#[test]
fn posts_the_encoded_result_as_json() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", answer(json!({"total": 42}))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);

    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/2018-06-01/runtime/invocation/next");
    assert!(
        requests[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("lambda-core/"))
    );
    let post = posts(&requests)[0];
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/response");
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(post.body_text(), r#"{"total":42}"#);
    assert_eq!(post.header("lambda-runtime-invocation-id"), None);
    assert_eq!(output.stderr, "", "a good invocation logs nothing");
}

#[test]
fn accepts_a_runtime_api_url_with_a_base_path_as_cargo_lambda_gives_it() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", answer(json!(1))));
    let url = format!("http://{}/.rt", mock.address());
    let function = Function::against(FAULTS, &url, &[]);
    let requests = mock.wait_for_posts(1);
    function.stop();
    assert_eq!(requests[0].path, "/.rt/2018-06-01/runtime/invocation/next");
    assert_eq!(
        posts(&requests)[0].path,
        "/.rt/2018-06-01/runtime/invocation/req-1/response"
    );
}

#[test]
fn proxy_variables_set_for_the_handler_do_not_divert_the_runtime_api() {
    // A function in a VPC often sets HTTP_PROXY for its own outbound calls; the Runtime
    // API is on loopback and must never go through it. Port 9 (discard) on loopback
    // refuses connections, so a proxied call would fail.
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", answer(json!(1))));
    let proxy = "http://127.0.0.1:9";
    let env = [
        ("HTTP_PROXY", proxy),
        ("http_proxy", proxy),
        ("ALL_PROXY", proxy),
        ("HTTPS_PROXY", proxy),
    ];
    let (requests, output) = mock.run_until_posts(FAULTS, &env, 1);
    assert_eq!(posts(&requests)[0].body_text(), "1", "{}", output.stderr);
    assert_eq!(output.stderr, "");
}

#[test]
fn hands_every_context_header_to_the_handler() {
    let mock = MockRuntimeApi::start();
    mock.push_event(
        Event::new("req-ctx", r#"{"k":"v"}"#)
            .header("Lambda-Runtime-Deadline-Ms", "4102444800000")
            .header(
                "Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:eu-west-1:123456789012:function:f:prod",
            )
            .header(
                "Lambda-Runtime-Trace-Id",
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            )
            .header(
                "Lambda-Runtime-Client-Context",
                r#"{"custom":{"app":"shop"}}"#,
            )
            .header(
                "Lambda-Runtime-Cognito-Identity",
                r#"{"cognitoIdentityId":"us-east-1:id","cognitoIdentityPoolId":"us-east-1:pool"}"#,
            )
            .header("Lambda-Runtime-Aws-Tenant-Id", "tenant-7")
            .header("Lambda-Runtime-Invocation-Id", "inv-123"),
    );
    let (requests, output) = mock.run_until_posts(INSPECT, &[], 1);
    let post = posts(&requests)[0];
    assert_eq!(
        post.body_json(),
        json!({
            "event": {"k": "v"},
            "request_id": "req-ctx",
            "deadline_ms": 4102444800000_u64,
            "remaining_is_zero": false,
            "invoked_function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:f:prod",
            "xray_trace_id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            "trace_env": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            "client_context": {"custom": {"app": "shop"}},
            "identity_id": "us-east-1:id",
            "identity_pool_id": "us-east-1:pool",
            "tenant_id": "tenant-7",
            "invocation_id": "inv-123",
            "function": {"name": null, "memory_size_mb": null, "version": null, "log_group_name": null, "log_stream_name": null},
        })
    );
    assert_eq!(post.header("lambda-runtime-invocation-id"), Some("inv-123"));
    assert_eq!(output.stderr, "");
}

#[test]
fn reads_the_function_settings_from_the_environment() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", "{}"));
    let env = [
        ("AWS_LAMBDA_FUNCTION_NAME", "orders"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/orders"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[$LATEST]0123"),
    ];
    let (requests, _) = mock.run_until_posts(INSPECT, &env, 1);
    assert_eq!(
        posts(&requests)[0].body_json()["function"],
        json!({"name": "orders", "memory_size_mb": 512, "version": "$LATEST", "log_group_name": "/aws/lambda/orders", "log_stream_name": "2026/11/24/[$LATEST]0123"})
    );
}

#[test]
fn a_deadline_in_the_past_leaves_no_time_and_a_bad_one_is_unknown() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("past", "1").header("Lambda-Runtime-Deadline-Ms", "1542409706888"));
    mock.push_event(Event::new("cargo-lambda", "2").header("Lambda-Runtime-Deadline-Ms", "600000"));
    mock.push_event(Event::new("none", "3").without_header("Lambda-Runtime-Deadline-Ms"));
    mock.push_event(Event::new("garbage", "4").header("Lambda-Runtime-Deadline-Ms", "soon"));
    let (requests, output) = mock.run_until_posts(INSPECT, &[], 4);
    let bodies: Vec<_> = posts(&requests).iter().map(|p| p.body_json()).collect();
    assert_eq!(bodies[3]["deadline_ms"], json!(null));
    assert_eq!(
        (
            bodies[0]["deadline_ms"].clone(),
            bodies[0]["remaining_is_zero"].clone()
        ),
        (json!(1542409706888_u64), json!(true))
    );
    assert_eq!(
        (
            bodies[1]["deadline_ms"].clone(),
            bodies[1]["remaining_is_zero"].clone()
        ),
        (json!(null), json!(null))
    );
    assert_eq!(
        (
            bodies[2]["deadline_ms"].clone(),
            bodies[2]["remaining_is_zero"].clone()
        ),
        (json!(null), json!(null))
    );
    // cargo-lambda's constant comes with every invocation: not worth a line each time.
    assert_eq!(
        output.stderr_lines(),
        [
            r#"lambda_core: garbage: ignored the lambda-runtime-deadline-ms header "soon": not an epoch time in milliseconds"#
        ]
    );
}

#[test]
fn sets_the_trace_variable_per_invocation_and_removes_it_when_absent() {
    let mock = MockRuntimeApi::start();
    mock.push_event(
        Event::new("traced", "1").header("Lambda-Runtime-Trace-Id", "Root=1-abc;Sampled=1"),
    );
    mock.push_event(Event::new("untraced", "2"));
    let (requests, _) = mock.run_until_posts(INSPECT, &[], 2);
    let posts = posts(&requests);
    assert_eq!(
        posts[0].body_json()["trace_env"],
        json!("Root=1-abc;Sampled=1")
    );
    assert_eq!(posts[1].body_json()["trace_env"], json!(null));
}

#[test]
fn malformed_optional_headers_are_ignored_with_one_line_each() {
    let mock = MockRuntimeApi::start();
    mock.push_event(
        Event::new("req-1", "{}")
            .header("Lambda-Runtime-Client-Context", "eyJjdXN0b20iOnt9fQ==")
            .header("Lambda-Runtime-Cognito-Identity", "{broken"),
    );
    let (requests, output) = mock.run_until_posts(INSPECT, &[], 1);
    let body = posts(&requests)[0].body_json();
    assert_eq!(
        (body["client_context"].clone(), body["identity_id"].clone()),
        (json!(null), json!(null))
    );
    assert_eq!(output.stderr_lines().len(), 2, "{}", output.stderr);
    assert_runtime_lines(&output.stderr);
}

#[test]
fn a_poll_held_longer_than_any_post_timeout_still_gets_its_event() {
    // Posts time out after 5 s; `/next` must not time out at all.
    let held = std::time::Duration::from_secs(7);
    let mock = MockRuntimeApi::start();
    mock.push(Reply::After(
        held,
        Box::new(Reply::Event(Event::new("late", answer(json!("waited"))))),
    ));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
    assert_eq!(
        posts(&requests)[0].path,
        "/2018-06-01/runtime/invocation/late/response"
    );
    // The polls before the answer: the snapshot may also hold the poll after it.
    assert_eq!(
        requests
            .iter()
            .take_while(|r| r.method != "POST")
            .filter(|r| r.method == "GET")
            .count(),
        1,
        "the first poll was not given up"
    );
    assert_eq!(output.stderr, "");
}

#[test]
fn polls_again_after_204_no_content() {
    let mock = MockRuntimeApi::start();
    for _ in 0..3 {
        mock.push(Reply::NoContent);
    }
    mock.push_event(Event::new("after-idle", answer(json!("ok"))));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 1);
    let nexts = requests.iter().filter(|r| r.method == "GET").count();
    assert!(nexts >= 4, "polled {nexts} times");
    assert_eq!(
        posts(&requests)[0].path,
        "/2018-06-01/runtime/invocation/after-idle/response"
    );
}

#[test]
fn a_handler_error_is_reported_with_its_type_message_and_causes() {
    let mock = MockRuntimeApi::start();
    mock.push_event(
        Event::new("req-err", r#"{"do":"fail"}"#).header("Lambda-Runtime-Invocation-Id", "inv-9"),
    );
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
    let post = posts(&requests)[0];
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-err/error");
    assert_eq!(
        post.header("lambda-runtime-function-error-type"),
        Some("Function.FaultError")
    );
    assert_eq!(post.header("lambda-runtime-invocation-id"), Some("inv-9"));
    assert_eq!(
        post.header("content-type"),
        Some("application/vnd.aws.lambda.error+json")
    );
    assert_eq!(
        post.body_text(),
        r#"{"errorType":"FaultError","errorMessage":"payment failed","stackTrace":["card declined"]}"#
    );
    assert_eq!(
        output.stderr_lines(),
        ["lambda_core: req-err: FaultError: payment failed"]
    );
}

#[test]
fn the_users_diagnose_chooses_the_error_type() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", r#"{"do":"fail_out_of_stock"}"#));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 1);
    let post = posts(&requests)[0];
    assert_eq!(
        post.header("lambda-runtime-function-error-type"),
        Some("Function.OutOfStock")
    );
    assert_eq!(
        post.body_json(),
        json!({"errorType": "OutOfStock", "errorMessage": "item 7 is out of stock", "stackTrace": []})
    );
}

#[test]
fn a_panic_is_reported_with_its_location_and_the_loop_goes_on() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-panic", r#"{"do":"panic"}"#));
    mock.push_event(Event::new("req-display", r#"{"do":"panic_in_display"}"#));
    mock.push_event(Event::new("req-next", answer(json!("still here"))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 3);
    let posts = posts(&requests);
    for (post, id, message) in [
        (posts[0], "req-panic", "the handler panicked"),
        (posts[1], "req-display", "display panicked"),
    ] {
        assert_eq!(
            post.path,
            format!("/2018-06-01/runtime/invocation/{id}/error")
        );
        assert_eq!(
            post.header("lambda-runtime-function-error-type"),
            Some("Runtime.Panic")
        );
        let body = post.body_json();
        assert_eq!(
            (body["errorType"].as_str(), body["errorMessage"].as_str()),
            (Some("Runtime.Panic"), Some(message))
        );
        let trace = body["stackTrace"][0].as_str().unwrap_or_default();
        assert!(
            trace.starts_with("tests/src/bin/fixture_faults.rs:"),
            "{body}"
        );
    }
    assert_eq!(posts[2].body_text(), r#""still here""#);
    assert_runtime_lines(&output.stderr);
    assert_eq!(output.stderr_lines().len(), 4, "{}", output.stderr);
}

#[test]
fn an_event_that_does_not_decode_is_reported_and_the_loop_goes_on() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("not-json", "{oops"));
    mock.push_event(Event::new("wrong-shape", r#"{"do":"fly"}"#));
    mock.push_event(Event::new("not-utf8", b"\"\xff\xfe\"".to_vec()));
    mock.push_event(Event::new("fine", answer(json!(1))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 4);
    let posts = posts(&requests);
    for (post, id) in posts.iter().zip(["not-json", "wrong-shape", "not-utf8"]) {
        assert_eq!(
            post.path,
            format!("/2018-06-01/runtime/invocation/{id}/error")
        );
        assert_eq!(
            post.header("lambda-runtime-function-error-type"),
            Some("Runtime.InvalidEvent")
        );
        let message = post.body_json()["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.starts_with("could not decode the event as Command: "),
            "{message}"
        );
    }
    assert_eq!(
        posts[3].path,
        "/2018-06-01/runtime/invocation/fine/response"
    );
    assert_runtime_lines(&output.stderr);
}

#[test]
fn json_nested_absurdly_deep_is_refused_without_overflowing_the_stack() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("arrays", "[".repeat(100_000)));
    mock.push_event(Event::new("objects", "{\"a\":".repeat(100_000)));
    mock.push_event(Event::new("fine", "[[1]]"));
    let (requests, _) = mock.run_until_posts(INSPECT, &[], 3);
    let posts = posts(&requests);
    for post in &posts[..2] {
        assert_eq!(
            post.header("lambda-runtime-function-error-type"),
            Some("Runtime.InvalidEvent")
        );
        let message = post.body_json()["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.starts_with("could not decode the event as Value: recursion limit exceeded"),
            "{message}"
        );
    }
    assert_eq!(posts[2].body_json()["event"], json!([[1]]));
}

#[test]
fn a_response_that_does_not_encode_is_reported() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", r#"{"do":"unencodable"}"#));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 1);
    let post = posts(&requests)[0];
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/error");
    assert_eq!(
        post.header("lambda-runtime-function-error-type"),
        Some("Runtime.InvalidResponse")
    );
    assert_eq!(
        post.body_json(),
        json!({"errorType": "Runtime.InvalidResponse", "errorMessage": "could not encode the response Answer as JSON: key must be a string", "stackTrace": []})
    );
}

#[test]
fn a_response_over_the_payload_limit_is_reported_without_sending_it() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("big", r#"{"do":"oversized","bytes":6291555}"#));
    mock.push_event(Event::new(
        "just-fits",
        r#"{"do":"oversized","bytes":6291554}"#,
    ));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 2);
    let posts = posts(&requests);
    assert_eq!(posts[0].path, "/2018-06-01/runtime/invocation/big/error");
    assert_eq!(
        posts[0].header("lambda-runtime-function-error-type"),
        Some("Function.ResponseSizeTooLarge")
    );
    assert_eq!(
        posts[0].body_json()["errorMessage"],
        "Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes)."
    );
    assert_eq!(
        posts[1].path,
        "/2018-06-01/runtime/invocation/just-fits/response"
    );
    assert_eq!(posts[1].body.len(), 6291556);
}

#[test]
fn events_whose_request_id_is_unsafe_are_skipped_with_one_line_each() {
    let mock = MockRuntimeApi::start();
    for id in ["../x", "%2F", "a b", "é", ""] {
        mock.push_event(Event::new(id, answer(json!(0))));
    }
    mock.push_event(
        Event::new("x", answer(json!(0))).without_header("Lambda-Runtime-Aws-Request-Id"),
    );
    mock.push_event(Event::new("good", answer(json!(1))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
    let posts = posts(&requests);
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/good/response"
    );
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 6, "{}", output.stderr);
    assert!(lines.iter().all(|line| line.starts_with("lambda_core: skipped an event that cannot be answered: ")));
    assert!(lines[5].ends_with("the event has no Lambda-Runtime-Aws-Request-Id header"));
}

#[test]
fn status_413_400_and_410_on_a_post_are_logged_and_the_loop_goes_on() {
    let mock = MockRuntimeApi::start();
    mock.answer_posts_with(&[413, 400, 403, 410]);
    for id in ["a", "b", "c", "d", "e"] {
        mock.push_event(Event::new(id, answer(json!(id))));
    }
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 5);
    assert_eq!(
        posts(&requests)[4].path,
        "/2018-06-01/runtime/invocation/e/response"
    );
    assert_eq!(
        output.stderr_lines(),
        [
            "lambda_core: a: the Runtime API refused the answer as too large (413)",
            "lambda_core: b: the Runtime API refused the answer with status 400",
            "lambda_core: c: the Runtime API refused the answer with status 403",
            "lambda_core: d: the Runtime API answered 410 Gone: the invocation is no longer current (it timed out, or was answered already)",
        ]
    );
}

/// `/next` answered `status` ends the process with status 1 and one line.
fn assert_next_status_is_fatal(status: u16) {
    let mock = MockRuntimeApi::start();
    mock.push(Reply::Status(status));
    let output = Function::against(FAULTS, &mock.address(), &[]).wait();
    assert_eq!(output.code(), Some(1));
    assert_eq!(
        output.stderr_lines(),
        [format!(
            "lambda_core: the Runtime API answered /runtime/invocation/next with status {status}"
        )]
    );
}

#[test]
fn status_500_from_next_ends_the_process_with_status_1() {
    assert_next_status_is_fatal(500);
}

#[test]
fn an_unexpected_status_from_next_ends_the_process() {
    assert_next_status_is_fatal(403);
}

#[test]
fn status_500_from_a_post_ends_the_process_with_status_1() {
    let mock = MockRuntimeApi::start();
    mock.answer_posts_with(&[500]);
    mock.push_event(Event::new("a", answer(json!(1))));
    mock.push_event(Event::new("b", answer(json!(2))));
    let output = Function::against(FAULTS, &mock.address(), &[]).wait();
    assert_eq!(output.code(), Some(1));
    assert_eq!(
        output.stderr_lines(),
        ["lambda_core: the Runtime API answered /runtime/invocation/response with status 500"]
    );
    assert_eq!(mock.posts().len(), 1, "no answer after the 500");
}

#[test]
fn an_unreachable_runtime_api_is_one_line_naming_it_and_status_1() {
    // A port that was just free: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let address = format!("127.0.0.1:{port}");
    let output = Function::against(FAULTS, &address, &[]).wait();
    assert_eq!(output.code(), Some(1));
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    let expected = format!(
        "lambda_core: the Runtime API at http://{address}/2018-06-01/runtime/invocation/next is unreachable: "
    );
    assert!(lines[0].starts_with(&expected), "{}", lines[0]);
}

#[test]
fn a_runtime_api_value_that_is_not_an_http_address_is_one_line_and_status_1() {
    let output = Function::against(FAULTS, "https://127.0.0.1:9001", &[]).wait();
    assert_eq!(output.code(), Some(1));
    assert_eq!(
        output.stderr_lines(),
        [
            r#"lambda_core: AWS_LAMBDA_RUNTIME_API="https://127.0.0.1:9001" is not usable: only http:// is supported (the Runtime API is plain HTTP)"#
        ]
    );
}

#[test]
fn a_concurrency_that_is_not_a_positive_number_is_one_line_and_counts_as_1() {
    for value in ["0", "abc", ""] {
        let mock = MockRuntimeApi::start();
        mock.push_event(Event::new("a", answer(json!(1))));
        let (requests, output) =
            mock.run_until_posts(FAULTS, &[("AWS_LAMBDA_MAX_CONCURRENCY", value)], 1);
        assert_eq!(
            posts(&requests)[0].path,
            "/2018-06-01/runtime/invocation/a/response"
        );
        assert_eq!(
            output.stderr_lines(),
            [format!(
                "lambda_core: AWS_LAMBDA_MAX_CONCURRENCY={value:?} is not a positive whole number; counting it as 1"
            )]
        );
    }
}

#[test]
fn a_post_whose_connection_drops_is_retried_with_the_same_body_and_the_duplicate_is_harmless() {
    let mock = MockRuntimeApi::start();
    mock.treat_posts(&[lambda_tests::PostReply::Drop]);
    mock.push_event(
        Event::new("req-1", answer(json!("once"))).header("Lambda-Runtime-Invocation-Id", "inv-1"),
    );
    mock.push_event(Event::new("req-2", answer(json!("next"))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 3);
    let posts = posts(&requests);
    // The retry carries exactly what the first attempt carried.
    for post in &posts[..2] {
        assert_eq!(post.path, "/2018-06-01/runtime/invocation/req-1/response");
        assert_eq!(post.body_text(), r#""once""#);
        assert_eq!(post.header("lambda-runtime-invocation-id"), Some("inv-1"));
    }
    assert_eq!(
        posts[2].path,
        "/2018-06-01/runtime/invocation/req-2/response"
    );
    assert_eq!(
        output.stderr_lines(),
        ["lambda_core: req-1: the answer was delivered on a retry"]
    );
}

#[test]
fn a_post_that_is_never_answered_times_out_and_is_retried() {
    let mock = MockRuntimeApi::start();
    mock.treat_posts(&[lambda_tests::PostReply::Silence(
        std::time::Duration::from_secs(8),
    )]);
    mock.push_event(Event::new("req-1", answer(json!(1))));
    mock.push_event(Event::new("req-2", answer(json!(2))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 3);
    let paths: Vec<&str> = posts(&requests).iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/2018-06-01/runtime/invocation/req-1/response",
            "/2018-06-01/runtime/invocation/req-1/response",
            "/2018-06-01/runtime/invocation/req-2/response",
        ]
    );
    assert_eq!(
        output.stderr_lines(),
        ["lambda_core: req-1: the answer was delivered on a retry"]
    );
}
