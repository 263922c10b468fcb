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

/// A deadline header `ms` milliseconds from now.
fn deadline_in(ms: u64) -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|now| (now + Duration::from_millis(ms)).as_millis())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn on_managed_instances_a_future_still_running_past_its_deadline_is_dropped_and_answered() {
    let mock = MockRuntimeApi::start();
    // Sleeps 200 ms well within its deadline: answered, not dropped early.
    mock.push_event(
        Event::new("early", json!({"then": {"sleep_ms": 200}}).to_string())
            .header("Lambda-Runtime-Deadline-Ms", &deadline_in(10_000)),
    );
    mock.push_event(event("hang", "hang").header("Lambda-Runtime-Deadline-Ms", &deadline_in(300)));
    mock.push_event(event("next", "answer"));
    let managed = ("AWS_LAMBDA_INITIALIZATION_TYPE", "lambda-managed-instances");
    let (requests, output) = mock.run_until_posts(ASYNC, &[JSON, managed], 3);
    let posts = posts(&requests);
    assert_eq!(answered(posts[0]), ("early", "response"), "{requests:#?}");
    assert_eq!(answered(posts[1]), ("hang", "error"));
    let report = posts[1].body_json();
    assert_eq!(report["errorType"], "Runtime.DeadlineExceeded");
    assert!(
        report["errorMessage"]
            .as_str()
            .is_some_and(|message| message.contains("after the invocation's deadline")),
        "{report}"
    );
    // The poller is free again, and the task init spawned still serves.
    assert_eq!(answered(posts[2]), ("next", "response"));
    assert_eq!(posts[2].body_json()["count"], 1);
    assert_eq!(
        output.code(),
        None,
        "the process was stopped by the test, alive"
    );
}

#[test]
fn on_standard_lambda_a_future_past_its_deadline_is_left_to_finish() {
    let mock = MockRuntimeApi::start();
    // 1.5 s of sleep against a deadline 100 ms away: past the deadline and the grace
    // after it. Lambda would end the environment; nothing is dropped before that.
    mock.push_event(
        Event::new("late", json!({"then": {"sleep_ms": 1500}}).to_string())
            .header("Lambda-Runtime-Deadline-Ms", &deadline_in(100)),
    );
    let (requests, _) = mock.run_until_posts(ASYNC, &[JSON], 1);
    let posts = posts(&requests);
    assert_eq!(answered(posts[0]), ("late", "response"), "{requests:#?}");
    assert_eq!(posts[0].body_json()["request_id"], "late");
}

#[test]
fn a_future_that_blocks_its_thread_does_not_hold_up_the_other_pollers_io() {
    let release = std::env::temp_dir().join(format!("async-release-{}", std::process::id()));
    let _ = std::fs::remove_file(&release);
    let mock = MockRuntimeApi::start();
    let function = Function::against(
        ASYNC,
        &mock.address(),
        &[JSON, ("AWS_LAMBDA_MAX_CONCURRENCY", "2")],
    );
    mock.wait_for_polls(2);
    let path = release.to_string_lossy().into_owned();
    mock.push_event(Event::new(
        "blocking",
        json!({"then": {"block_until": path}}).to_string(),
    ));
    function.wait_for_stderr_line(|line| line == "holding blocking");
    // This one needs the task spawned in init, which runs on the runtime's own thread,
    // not on the thread that is blocked.
    mock.push_event(event("asking", "answer"));
    let first = mock.wait_for_posts(1);
    let first = posts(&first);
    assert_eq!(answered(first[0]), ("asking", "response"), "{first:#?}");
    assert_eq!(first[0].body_json()["count"], 1);
    std::fs::write(&release, b"").expect("the release file");
    let requests = mock.wait_for_posts(2);
    let _ = function.stop();
    let _ = std::fs::remove_file(&release);
    assert_eq!(answered(posts(&requests)[1]), ("blocking", "response"));
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
    }
    assert_eq!(counts, HashSet::from([1, 2, 3, 4]));
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
