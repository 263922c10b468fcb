//! `async fn` handlers and init functions (the `tokio` feature), against the mock Runtime
//! API: what a task spawned in init does across invocations and pollers, how errors,
//! panics and deadlines are answered, and which request id their log lines carry.

use lambda_tests::{Event, Function, MockRuntimeApi, Recorded, posts};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ASYNC: &str = env!("CARGO_BIN_EXE_fixture_async");
const JSON: (&str, &str) = ("AWS_LAMBDA_LOG_FORMAT", "JSON");

fn event(id: &str, then: &str) -> Event {
    Event::new(id, json!({"then": then}).to_string())
}

/// The request id a post answers, and whether it is a response or an error.
fn answered(post: &Recorded) -> (&str, &str) {
    let mut parts = post.path.rsplit('/');
    let kind = parts.next().unwrap_or_default();
    (parts.next().unwrap_or_default(), kind)
}

/// The JSON lines on standard error whose message starts with `prefix`.
fn lines_starting(stderr: &str, prefix: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| {
            line["message"]
                .as_str()
                .is_some_and(|message| message.starts_with(prefix))
        })
        .collect()
}

#[test]
fn a_task_spawned_in_an_async_init_serves_every_invocation_and_failures_stay_their_own() {
    let mock = MockRuntimeApi::start();
    for (id, then) in [
        ("a", "answer"),
        ("b", "fail"),
        ("c", "panic"),
        ("d", "answer"),
    ] {
        mock.push_event(event(id, then));
    }
    let (requests, output) = mock.run_until_posts(ASYNC, &[JSON], 4);
    let posts = posts(&requests);
    let answers: Vec<_> = posts.iter().map(|post| answered(post)).collect();
    assert_eq!(
        answers,
        [
            ("a", "response"),
            ("b", "error"),
            ("c", "error"),
            ("d", "response")
        ],
        "{requests:#?}"
    );
    // The counter task spawned in init answered a, then d: it lived across invocations
    // and through a failure and a panic.
    assert_eq!(posts[0].body_json()["count"], 1);
    assert_eq!(posts[3].body_json()["count"], 2);
    assert_eq!(posts[1].body_json()["errorMessage"], "b failed on purpose");
    assert_eq!(posts[2].body_json()["errorType"], "Runtime.Panic");
    assert_eq!(
        posts[2].body_json()["errorMessage"],
        "c panicked on purpose"
    );

    // A line logged inside a future the handler awaits carries its invocation's id.
    let asked = lines_starting(&output.stderr, "asked the counter");
    let ids: Vec<_> = asked.iter().map(|line| line["requestId"].clone()).collect();
    assert_eq!(ids, [json!("a"), json!("d")], "{}", output.stderr);
}

#[test]
fn a_future_still_running_at_its_deadline_is_dropped_and_answered_and_the_next_one_is_served() {
    let mock = MockRuntimeApi::start();
    let soon = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|now| (now + Duration::from_millis(300)).as_millis())
        .unwrap_or_default();
    mock.push_event(event("hang", "hang").header("Lambda-Runtime-Deadline-Ms", &soon.to_string()));
    mock.push_event(event("next", "answer"));
    let (requests, output) = mock.run_until_posts(ASYNC, &[JSON], 2);
    let posts = posts(&requests);
    assert_eq!(answered(posts[0]), ("hang", "error"), "{requests:#?}");
    let report = posts[0].body_json();
    assert_eq!(report["errorType"], "Runtime.DeadlineExceeded");
    assert!(
        report["errorMessage"]
            .as_str()
            .is_some_and(|message| message.contains("still running at the invocation's deadline")),
        "{report}"
    );
    assert_eq!(answered(posts[1]), ("next", "response"));
    assert_eq!(posts[1].body_json()["count"], 1);
    assert_eq!(
        output.code(),
        None,
        "the process was stopped by the test, alive"
    );
}

#[test]
fn with_four_pollers_four_futures_are_in_flight_at_once_and_share_the_task_init_spawned() {
    let mock = MockRuntimeApi::start();
    let function = Function::against(
        ASYNC,
        &mock.address(),
        &[JSON, ("AWS_LAMBDA_MAX_CONCURRENCY", "4")],
    );
    mock.wait_for_polls(4);
    let ids = ["p", "q", "r", "s"];
    for id in ids {
        mock.push_event(Event::new(
            id,
            json!({"meet": 4, "then": "answer"}).to_string(),
        ));
    }
    let requests = mock.wait_for_posts(4);
    let output = function.stop();

    let posts = posts(&requests);
    let mut counts = HashSet::new();
    let mut threads = HashSet::new();
    for post in &posts {
        let (id, kind) = answered(post);
        assert_eq!(kind, "response", "{requests:#?}");
        let body = post.body_json();
        assert_eq!(body["request_id"], id);
        assert_eq!(
            body["met"], true,
            "four invocations were never in flight at once"
        );
        counts.insert(body["count"].as_u64().unwrap_or_default());
        threads.insert(body["thread"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(counts, HashSet::from([1, 2, 3, 4]));
    assert_eq!(
        threads.len(),
        4,
        "each future ran on its own poller: {threads:?}"
    );
    let asked = lines_starting(&output.stderr, "asked the counter");
    let logged: HashSet<_> = asked
        .iter()
        .map(|line| line["requestId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        logged,
        HashSet::from(ids.map(str::to_owned)),
        "{}",
        output.stderr
    );
}
