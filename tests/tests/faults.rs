//! Faults of the Runtime API and the network on `/next`, each row of the README's fault
//! table that the other suites do not already cover.

use lambda_tests::{Event, Function, MockRuntimeApi, Reply, answer, posts};
use serde_json::json;

const FAULTS: &str = env!("CARGO_BIN_EXE_fixture_faults");
const INSPECT: &str = env!("CARGO_BIN_EXE_fixture_inspect");

/// A `/next` answer head for `id` declaring `length` bytes.
fn head(id: &str, extra: &str, length: usize) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n{extra}Content-Length: {length}\r\n\r\n"
    )
}

#[test]
fn refused_at_start_then_accepted_is_served() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let address = format!("127.0.0.1:{port}");
    let function = Function::against(FAULTS, &address, &[]);
    // The runtime keeps trying for a few seconds; the API comes up meanwhile.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mock = MockRuntimeApi::start_at(&address);
    mock.push_event(Event::new("late-start", answer(json!(1))));
    let requests = mock.wait_for_posts(1);
    let output = function.stop();
    assert_eq!(
        posts(&requests)[0].path,
        "/2018-06-01/runtime/invocation/late-start/response"
    );
    assert_eq!(output.stderr, "");
}

#[test]
fn a_connection_reset_before_the_status_line_is_retried() {
    let mock = MockRuntimeApi::start();
    mock.push(Reply::Raw(Vec::new()));
    mock.push_event(Event::new("after-reset", answer(json!(1))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
    assert_eq!(
        posts(&requests)[0].path,
        "/2018-06-01/runtime/invocation/after-reset/response"
    );
    assert_eq!(requests.iter().filter(|r| r.method == "GET").count(), 2);
    assert_eq!(output.stderr, "");
}

#[test]
fn a_truncated_body_is_reported_for_its_id_and_the_loop_goes_on() {
    let mock = MockRuntimeApi::start();
    let mut raw = head("cut-short", "", 100).into_bytes();
    raw.extend_from_slice(br#"{"do":"ans"#);
    mock.push(Reply::Raw(raw));
    mock.push_event(Event::new("whole", answer(json!(2))));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 2);
    let posts = posts(&requests);
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/cut-short/error"
    );
    assert_eq!(
        posts[0].header("lambda-runtime-function-error-type"),
        Some("Runtime.InvalidEvent")
    );
    let message = posts[0].body_json()["errorMessage"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("the event body could not be read: "),
        "{message}"
    );
    assert_eq!(
        posts[1].path,
        "/2018-06-01/runtime/invocation/whole/response"
    );
}

#[test]
fn a_chunked_body_is_read() {
    let mock = MockRuntimeApi::start();
    let raw = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: chunked\r\nTransfer-Encoding: chunked\r\n\r\n\
               5\r\n{\"do\"\r\n15\r\n:\"answer\",\"with\":[3]}\r\n0\r\n\r\n";
    mock.push(Reply::Raw(raw.as_bytes().to_vec()));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 1);
    let post = posts(&requests)[0];
    assert_eq!(post.path, "/2018-06-01/runtime/invocation/chunked/response");
    assert_eq!(post.body_text(), "[3]");
}

#[test]
fn a_body_over_the_payload_limit_is_reported_without_reading_it_all() {
    let mock = MockRuntimeApi::start();
    let size = 6 * 1024 * 1024 + 101;
    let mut raw = head("too-big", "", size).into_bytes();
    raw.extend(std::iter::repeat_n(b' ', size));
    mock.push(Reply::Raw(raw));
    mock.push_event(Event::new("fits", answer(json!(4))));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 2);
    let posts = posts(&requests);
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/too-big/error"
    );
    assert_eq!(
        posts[0].body_json()["errorMessage"],
        "the event is larger than the payload limit of 6291556 bytes"
    );
    assert_eq!(
        posts[1].path,
        "/2018-06-01/runtime/invocation/fits/response"
    );
}

#[test]
fn a_malformed_response_head_is_dropped_and_the_next_event_served() {
    for broken in [
        // A raw CR inside a header value.
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\rb\r\nContent-Length: 2\r\n\r\n{}",
        // An obs-folded header value (a continuation line).
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: folded\r\n  continued\r\nContent-Length: 2\r\n\r\n{}",
    ] {
        let mock = MockRuntimeApi::start();
        mock.push(Reply::Raw(broken.as_bytes().to_vec()));
        mock.push_event(Event::new("good", answer(json!(5))));
        let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
        let posts = posts(&requests);
        assert_eq!(posts.len(), 1, "{broken:?}: {posts:#?}");
        assert_eq!(
            posts[0].path, "/2018-06-01/runtime/invocation/good/response",
            "{broken:?}"
        );
        assert!(
            output
                .stderr
                .lines()
                .all(|line| line.starts_with("lambda_core: ")),
            "{}",
            output.stderr
        );
    }
}

#[test]
fn a_handler_past_its_deadline_sees_zero_time_left_and_the_loop_goes_on() {
    let mock = MockRuntimeApi::start();
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        - 1;
    mock.push_event(
        Event::new("late", "{}").header("Lambda-Runtime-Deadline-Ms", &past.to_string()),
    );
    mock.push_event(Event::new("next", "{}"));
    let (requests, _) = mock.run_until_posts(INSPECT, &[], 2);
    let posts = posts(&requests);
    assert_eq!(posts[0].body_json()["remaining_is_zero"], json!(true));
    assert_eq!(
        posts[1].path,
        "/2018-06-01/runtime/invocation/next/response"
    );
}
