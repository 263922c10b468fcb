//! Lambda Managed Instances: `AWS_LAMBDA_MAX_CONCURRENCY` pollers in one process,
//! against the mock Runtime API.

use lambda_tests::{Event, Function, MockRuntimeApi, Recorded, Reply, posts};
use serde_json::{Value, json};
use std::collections::HashSet;

const CONCURRENT: &str = env!("CARGO_BIN_EXE_fixture_concurrent");
const LOCAL_STATE: &str = env!("CARGO_BIN_EXE_fixture_local_state");

/// An event for `fixture_concurrent`: wait until `meet` invocations are in flight at
/// once, then do `then`; its trace header names it.
fn event(id: &str, meet: usize, then: &str) -> Event {
    Event::new(id, json!({"meet": meet, "then": then}).to_string())
        .header("Lambda-Runtime-Trace-Id", &format!("Root=1-{id}"))
}

/// The request id a post answers.
fn answered_id(post: &Recorded) -> &str {
    post.path.rsplit('/').nth(1).unwrap_or_default()
}

#[test]
fn n_pollers_keep_n_invocations_in_flight_each_answered_once_with_its_own_context() {
    let mock = MockRuntimeApi::start();
    let function = Function::against(
        CONCURRENT,
        &mock.address(),
        &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")],
    );
    // Events only once all four pollers wait, so that each takes one.
    mock.wait_for_polls(4);
    let ids = ["a", "b", "c", "d"];
    for id in ids {
        mock.push_event(event(id, 4, "answer"));
    }
    let requests = mock.wait_for_posts(4);
    let output = function.stop();

    let posts = posts(&requests);
    assert_eq!(posts.len(), 4, "{requests:#?}");
    let mut threads = HashSet::new();
    for post in &posts {
        let id = answered_id(post);
        assert!(post.path.ends_with("/response"), "{}", post.path);
        let body = post.body_json();
        assert_eq!(body["request_id"], id);
        assert_eq!(body["xray_trace_id"], format!("Root=1-{id}"));
        assert_eq!(
            body["met"], true,
            "four invocations were never in flight at once"
        );
        assert_eq!(
            body["trace_env"],
            Value::Null,
            "_X_AMZN_TRACE_ID is set with N > 1"
        );
        threads.insert(body["thread"].as_str().unwrap_or_default().to_owned());
    }
    let answered: HashSet<&str> = posts.iter().map(|post| answered_id(post)).collect();
    assert_eq!(answered, HashSet::from(ids));
    assert_eq!(threads.len(), 4, "{threads:?}");
    assert!(
        threads
            .iter()
            .all(|name| name.starts_with("lambda-poller-")),
        "{threads:?}"
    );
    assert_eq!(output.stderr, "", "a good run logs nothing");
}

#[test]
fn a_panic_or_an_error_in_one_invocation_leaves_the_others_answered() {
    let mock = MockRuntimeApi::start();
    let function = Function::against(
        CONCURRENT,
        &mock.address(),
        &[("AWS_LAMBDA_MAX_CONCURRENCY", "3")],
    );
    mock.wait_for_polls(3);
    mock.push_event(event("fine", 3, "answer"));
    mock.push_event(event("fails", 3, "fail"));
    mock.push_event(event("panics", 3, "panic"));
    mock.wait_for_posts(3);
    // The pollers go on: a fourth event is served too.
    mock.push_event(event("after", 1, "answer"));
    let requests = mock.wait_for_posts(4);
    function.stop();

    let path = |id: &str| {
        posts(&requests)
            .into_iter()
            .filter(|post| answered_id(post) == id)
            .map(|post| post.path.rsplit('/').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(path("fine"), ["response"]);
    assert_eq!(path("fails"), ["error"]);
    assert_eq!(path("panics"), ["error"]);
    assert_eq!(path("after"), ["response"]);
    let report = |id: &str| {
        posts(&requests)
            .into_iter()
            .find(|post| answered_id(post) == id)
            .map(|post| post.body_json())
            .unwrap_or_default()
    };
    assert_eq!(report("fails")["errorMessage"], "fails failed on purpose");
    assert_eq!(report("panics")["errorType"], "Runtime.Panic");
    assert_eq!(
        report("panics")["errorMessage"],
        "panics panicked on purpose"
    );
    assert_eq!(report("fine")["met"], true);
}

#[test]
fn a_500_on_one_poller_ends_the_process_while_the_others_wait() {
    let mock = MockRuntimeApi::start();
    let function = Function::against(
        CONCURRENT,
        &mock.address(),
        &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")],
    );
    mock.wait_for_polls(4);
    mock.push(Reply::Status(500));
    let output = function.wait();
    assert_eq!(output.code(), Some(1), "{}", output.stderr);
    assert_eq!(
        output.stderr_lines(),
        ["lambda_core: the Runtime API answered /runtime/invocation/next with status 500"]
    );
}

#[test]
fn a_state_that_is_not_sync_gets_one_poller_and_a_line_that_names_it() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("one", "{}"));
    mock.push_event(Event::new("two", "{}"));
    let (requests, output) =
        mock.run_until_posts(LOCAL_STATE, &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")], 2);
    let bodies: Vec<Value> = posts(&requests)
        .iter()
        .map(|post| post.body_json())
        .collect();
    assert_eq!(
        bodies,
        [
            json!({"calls": 1, "thread": "main"}),
            json!({"calls": 2, "thread": "main"})
        ]
    );
    assert_eq!(
        output.stderr_lines(),
        [
            "lambda_core: AWS_LAMBDA_MAX_CONCURRENCY is 4, but the state `fixture_local_state::Counter` that init returns is not Sync, so this process serves one invocation at a time; make it Sync (Mutex, atomics) to serve 4"
        ]
    );
}

#[test]
fn one_poller_serves_on_the_main_thread_and_sets_the_trace_variable() {
    for concurrency in [None, Some("1")] {
        let mock = MockRuntimeApi::start();
        mock.push_event(event("solo", 1, "answer"));
        let env: Vec<(&str, &str)> = concurrency
            .map(|value| ("AWS_LAMBDA_MAX_CONCURRENCY", value))
            .into_iter()
            .collect();
        let (requests, output) = mock.run_until_posts(CONCURRENT, &env, 1);
        let body = posts(&requests)[0].body_json();
        assert_eq!(body["thread"], "main", "{concurrency:?}");
        assert_eq!(body["trace_env"], "Root=1-solo", "{concurrency:?}");
        assert_eq!(output.stderr, "");
    }
}
