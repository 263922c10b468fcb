//! The emulator built into every function, driven with plain `curl` as a user would
//! drive AWS's Runtime Interface Emulator.

use lambda_tests::{Emulator, Function, curl};
use serde_json::{Value, json};

const FAULTS: &str = env!("CARGO_BIN_EXE_fixture_faults");
const INSPECT: &str = env!("CARGO_BIN_EXE_fixture_inspect");
const INIT: &str = env!("CARGO_BIN_EXE_fixture_init");

fn command(value: Value) -> String {
    value.to_string()
}

#[test]
fn answers_an_invoke_like_the_runtime_interface_emulator() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(&command(json!({"do": "answer", "with": {"total": 42}})));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, r#"{"total":42}"#);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("x-amz-executed-version"), Some("$LATEST"));
    assert_eq!(reply.header("x-amz-function-error"), None);
    let request_id = reply
        .header("x-amzn-requestid")
        .unwrap_or_default()
        .to_owned();
    let output = emulator.function.stop();
    let lines = output.stderr_lines();
    assert_eq!(
        lines[1],
        format!("START RequestId: {request_id} Version: $LATEST")
    );
    assert_eq!(lines[2], format!("END RequestId: {request_id}"));
    assert!(
        lines[3].starts_with(&format!("REPORT RequestId: {request_id}\tDuration: ")),
        "{}",
        lines[3]
    );
    assert!(
        lines[3].contains("\tMax Memory Used: ") && lines[3].contains("\tInit Duration: "),
        "{}",
        lines[3]
    );
}

#[test]
fn a_handler_error_is_200_with_the_function_error_header() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(r#"{"do":"fail"}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    assert_eq!(
        reply.body,
        r#"{"errorType":"FaultError","errorMessage":"payment failed","stackTrace":["card declined"]}"#
    );
    emulator.function.stop();
}

#[test]
fn a_bad_event_and_a_panic_are_reported_and_the_same_process_serves_on() {
    let emulator = Emulator::start(FAULTS, &[]);
    let bad = emulator.invoke("{oops");
    assert!(bad.is_function_error());
    assert_eq!(bad.json()["errorType"], "Runtime.InvalidEvent");
    let panic = emulator.invoke(r#"{"do":"panic"}"#);
    assert!(panic.is_function_error());
    assert_eq!(
        (
            panic.json()["errorType"].as_str(),
            panic.json()["errorMessage"].as_str()
        ),
        (Some("Runtime.Panic"), Some("the handler panicked"))
    );
    let fine = emulator.invoke(&command(json!({"do": "answer", "with": "fine"})));
    assert_eq!(
        (fine.status, fine.body.as_str(), fine.is_function_error()),
        (200, r#""fine""#, false)
    );
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("Init Duration").count(),
        1,
        "one process served all three:\n{}",
        output.stderr
    );
}

#[test]
fn an_init_failure_answers_the_waiting_invoke_and_the_next_one_tries_again() {
    let emulator = Emulator::start(INIT, &[("FIXTURE_INIT", "error")]);
    for _ in 0..2 {
        let reply = emulator.invoke(r#""x""#);
        assert_eq!(reply.status, 200);
        assert!(reply.is_function_error());
        assert_eq!(
            reply.json(),
            json!({"errorType": "ConfigError", "errorMessage": "bad configuration: FIXTURE_INIT is Ok(\"error\")", "stackTrace": []})
        );
    }
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("init failed: ConfigError").count(),
        2,
        "{}",
        output.stderr
    );
}

#[test]
fn a_process_that_exits_is_runtime_exit_error_and_a_fresh_one_serves_the_next() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(r#"{"do":"exit","code":3}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    let request_id = reply.header("x-amzn-requestid").unwrap_or_default();
    assert_eq!(
        reply.json(),
        json!({"errorType": "Runtime.ExitError", "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: exit status: 3")})
    );
    let next = emulator.invoke(&command(json!({"do": "answer", "with": 1})));
    assert_eq!((next.body.as_str(), next.is_function_error()), ("1", false));
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("Init Duration").count(),
        2,
        "{}",
        output.stderr
    );
}

#[test]
fn an_overrun_is_task_timed_out_and_a_fresh_process_serves_the_next() {
    let emulator = Emulator::start(FAULTS, &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "1")]);
    let reply = emulator.invoke(r#"{"do":"sleep","ms":30000}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    let request_id = reply.header("x-amzn-requestid").unwrap_or_default();
    assert_eq!(
        reply.json(),
        json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("RequestId: {request_id} Error: Task timed out after 1.00 seconds")})
    );
    let next = emulator.invoke(&command(json!({"do": "answer", "with": 2})));
    assert_eq!((next.body.as_str(), next.is_function_error()), ("2", false));
    emulator.function.stop();
}

#[test]
fn requests_over_6_mib_are_413_and_6_mib_is_accepted() {
    let emulator = Emulator::start(FAULTS, &[]);
    let dir = std::env::temp_dir().join(format!("lambda-core-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let limit = 6 * 1024 * 1024;
    for (size, name) in [(limit + 1, "over"), (limit, "at")] {
        let path = dir.join(name);
        // A JSON string of exactly `size` bytes.
        std::fs::write(&path, format!("\"{}\"", "x".repeat(size - 2))).unwrap();
        let reply = curl(
            &emulator.url,
            &["-XPOST", "--data-binary", &format!("@{}", path.display())],
        );
        if size > limit {
            assert_eq!(reply.status, 413);
            assert_eq!(
                reply.json(),
                json!({"errorType": "RequestTooLargeException", "errorMessage": "Request must be smaller than 6291456 bytes for the InvokeFunction operation"})
            );
        } else {
            // Delivered: the fixture then says the string is not one of its commands.
            assert_eq!(
                (reply.status, reply.json()["errorType"].as_str()),
                (200, Some("Runtime.InvalidEvent"))
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    emulator.function.stop();
}

#[test]
fn a_response_over_the_limit_is_function_response_size_too_large() {
    let emulator = Emulator::start(FAULTS, &[]);
    let reply = emulator.invoke(r#"{"do":"oversized","bytes":6291555}"#);
    assert_eq!(reply.status, 200);
    assert!(reply.is_function_error());
    assert_eq!(
        reply.json()["errorMessage"],
        "Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes)."
    );
    assert_eq!(reply.json()["errorType"], "Function.ResponseSizeTooLarge");
    emulator.function.stop();
}

#[test]
fn concurrent_invokes_wait_their_turn_and_none_is_dropped() {
    let emulator = Emulator::start(FAULTS, &[]);
    let url = emulator.url.clone();
    let callers: Vec<_> = (0..6)
        .map(|n| {
            let url = url.clone();
            std::thread::spawn(move || {
                (
                    n,
                    curl(
                        &url,
                        &["-XPOST", "-d", &command(json!({"do": "answer", "with": n}))],
                    ),
                )
            })
        })
        .collect();
    for caller in callers {
        let (n, reply) = caller.join().expect("caller thread");
        assert_eq!((reply.status, reply.body), (200, n.to_string()));
    }
    emulator.function.stop();
}

#[test]
fn fills_the_headers_and_environment_lambda_fills() {
    let emulator = Emulator::start(INSPECT, &[("AWS_LAMBDA_FUNCTION_TIMEOUT", "120")]);
    // `{"custom":{"app":"shop"}}`, base64-encoded as the Invoke API carries it.
    let reply = curl(
        &emulator.url,
        &[
            "-XPOST",
            "-d",
            "{}",
            "-H",
            "X-Amz-Client-Context: eyJjdXN0b20iOnsiYXBwIjoic2hvcCJ9fQ==",
        ],
    );
    let body = reply.json();
    assert_eq!(
        body["request_id"].as_str(),
        reply.header("x-amzn-requestid")
    );
    assert_eq!(body["client_context"], json!({"custom": {"app": "shop"}}));
    assert_eq!(
        body["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:012345678912:function:fixture_inspect"
    );
    assert!(
        body["xray_trace_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("Root=1-")),
        "{body}"
    );
    assert_eq!(body["trace_env"], body["xray_trace_id"]);
    assert!(
        body["invocation_id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{body}"
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let deadline = body["deadline_ms"].as_u64().unwrap_or_default();
    assert!(
        deadline > now_ms + 60_000 && deadline <= now_ms + 120_000,
        "deadline {deadline}, now {now_ms}"
    );
    assert_eq!(
        body["function"],
        json!({"name": "fixture_inspect", "memory_size_mb": 3008, "version": "$LATEST", "log_group_name": "/aws/lambda/fixture_inspect", "log_stream_name": "$LATEST"})
    );
    emulator.function.stop();
}

#[test]
fn other_paths_and_methods_are_refused() {
    let emulator = Emulator::start(FAULTS, &[]);
    let base = emulator
        .url
        .trim_end_matches("/2015-03-31/functions/function/invocations");
    assert_eq!(
        curl(&format!("{base}/nope"), &["-XPOST", "-d", "{}"]).status,
        404
    );
    assert_eq!(curl(&emulator.url, &["-XGET"]).status, 405);
    emulator.function.stop();
}

#[test]
fn an_address_in_use_is_one_line_and_status_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = Function::start_with_args(
        FAULTS,
        &["--serve"],
        &[("LAMBDA_EMULATOR_ADDRESS", &address)],
    )
    .wait();
    assert_eq!(output.code(), Some(1));
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    assert!(lines[0].starts_with(&format!("lambda_core: cannot listen on {address} (set LAMBDA_EMULATOR_ADDRESS to another address): ")), "{}", lines[0]);
}
