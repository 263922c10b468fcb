//! `#[lambda(init = ...)]`: runs once, before the first `/next`; a failure is reported
//! once to `/runtime/init/error` and ends the process.

use lambda_tests::{Event, Function, MockRuntimeApi};
use serde_json::json;

const INIT: &str = env!("CARGO_BIN_EXE_fixture_init");

#[test]
fn init_runs_once_and_the_handler_gets_its_state() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("one", r#""there""#));
    mock.push_event(Event::new("two", r#""again""#));
    let (requests, output) = mock.run_until_posts(INIT, &[("FIXTURE_INIT", "ok")], 2);
    let bodies: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body_json())
        .collect();
    assert_eq!(
        bodies[0],
        json!({"greeting": "hi there", "request_id": "one", "init_calls": 1})
    );
    assert_eq!(
        bodies[1],
        json!({"greeting": "hi again", "request_id": "two", "init_calls": 1})
    );
    assert_eq!(output.stderr, "");
}

fn assert_init_failure(mode: &str, error_type: &str, header: &str, message: &str) {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("never", r#""x""#));
    let output = Function::against(INIT, &mock.address(), &[("FIXTURE_INIT", mode)]).wait();
    assert_eq!(output.code(), Some(1));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "one post and no /next: {requests:#?}");
    let post = &requests[0];
    assert_eq!(
        (post.method.as_str(), post.path.as_str()),
        ("POST", "/2018-06-01/runtime/init/error")
    );
    assert_eq!(
        post.header("lambda-runtime-function-error-type"),
        Some(header)
    );
    let body = post.body_json();
    assert_eq!(
        (body["errorType"].as_str(), body["errorMessage"].as_str()),
        (Some(error_type), Some(message))
    );
    assert!(
        output
            .stderr_lines()
            .last()
            .is_some_and(|line| line.starts_with("lambda_core: init failed: "))
    );
}

#[test]
fn a_failing_init_is_reported_once_and_the_process_exits() {
    assert_init_failure(
        "error",
        "ConfigError",
        "Function.ConfigError",
        "bad configuration: FIXTURE_INIT is Ok(\"error\")",
    );
}

#[test]
fn a_panicking_init_is_reported_once_and_the_process_exits() {
    assert_init_failure("panic", "Runtime.Panic", "Runtime.Panic", "init panicked");
}
