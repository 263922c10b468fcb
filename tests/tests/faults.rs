//! Faults of the Runtime API and the network on `/next`, each row of docs/GUARANTEES.md's fault
//! table that the other suites do not already cover.

use lambda_tests::{Event, Function, MockRuntimeApi, RegisterReply, Reply, answer, posts};
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
    // The polls before the answer: the snapshot may also hold the poll after it.
    let polls_before_the_answer = requests
        .iter()
        .take_while(|r| r.method != "POST")
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(polls_before_the_answer, 2);
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
        let lines = output.stderr_lines();
        assert_eq!(lines.len(), 1, "{broken:?}: {}", output.stderr);
        assert!(lines[0].starts_with(DROPPED), "{}", lines[0]);
    }
}

const DROPPED: &str =
    "lambda_core: dropped an answer to /next that cannot be read (an event in it is lost): ";

/// Heads the HTTP client refuses: each costs the event it carried, with one line.
fn unreadable_heads() -> Vec<String> {
    let many_headers: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    vec![
        head("huge", &format!("X-Big: {}\r\n", "a".repeat(70 * 1024)), 2) + "{}",
        head("many", &many_headers, 2) + "{}",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: two-lengths\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".to_owned(),
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: minus\r\nContent-Length: -1\r\n\r\n{}".to_owned(),
    ]
}

#[test]
fn a_head_the_client_refuses_costs_one_line_and_the_next_event_is_served() {
    let mock = MockRuntimeApi::start();
    let heads = unreadable_heads();
    for raw in &heads {
        mock.push(Reply::Raw(raw.clone().into_bytes()));
    }
    mock.push_event(Event::new("good", answer(json!(5))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
    let posts = posts(&requests);
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/good/response"
    );
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), heads.len(), "{}", output.stderr);
    for line in lines {
        assert!(line.starts_with(DROPPED), "{line}");
        assert!(!line.contains("unreachable"), "{line}");
    }
}

#[test]
fn a_runtime_api_whose_every_answer_is_unreadable_ends_the_process_naming_that() {
    let mock = MockRuntimeApi::start();
    let huge = head("huge", &format!("X-Big: {}\r\n", "a".repeat(70 * 1024)), 2) + "{}";
    for _ in 0..10 {
        mock.push(Reply::Raw(huge.clone().into_bytes()));
    }
    let output = Function::against(FAULTS, &mock.address(), &[]).wait();
    assert_eq!(output.code(), Some(1));
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 10, "{}", output.stderr);
    assert!(lines[..9].iter().all(|line| line.starts_with(DROPPED)));
    assert!(
        lines[9].starts_with("lambda_core: the Runtime API sent 10 answers to /runtime/invocation/next in a row that cannot be read; the last: "),
        "{}",
        lines[9]
    );
    assert!(mock.posts().is_empty());
}

#[test]
fn a_request_id_too_long_for_a_url_is_skipped_in_one_short_line() {
    let mock = MockRuntimeApi::start();
    // A safe id that fits in the client's head limit (12 KiB) but makes the head of an
    // answer longer than the client's 8 KiB output buffer.
    let base_path = "b".repeat(300);
    let long_id = "a".repeat(7_500);
    mock.push_event(Event::new(&long_id, answer(json!(1))));
    mock.push_event(Event::new("after", answer(json!(2))));
    let address = format!("http://{}/{base_path}", mock.address());
    let function = Function::against(FAULTS, &address, &[]);
    let requests = mock.wait_for_posts(1);
    let output = function.stop();
    let posts = posts(&requests);
    assert_eq!(
        posts[0].path,
        format!("/{base_path}/2018-06-01/runtime/invocation/after/response")
    );
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    assert!(lines[0].len() < 300, "{}", lines[0]);
    assert!(
        lines[0].starts_with(
            "lambda_core: skipped an event that cannot be answered: the request id \"aaaa"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with(
            "(7500 bytes) makes the head of an answer longer than the HTTP client's 8 KiB buffer"
        ),
        "{}",
        lines[0]
    );
}

#[test]
fn a_register_call_never_answered_ends_init_in_one_line() {
    const SHUTDOWN: &str = env!("CARGO_BIN_EXE_fixture_shutdown");
    let mock = MockRuntimeApi::start();
    mock.answer_register_with(RegisterReply::Silence);
    let output = Function::against(SHUTDOWN, &mock.address(), &[]).wait();
    assert_eq!(output.code(), Some(1));
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    assert!(
        lines[0].contains("/2020-01-01/extension/register") && lines[0].contains("timeout"),
        "{}",
        lines[0]
    );
}

#[test]
fn a_register_answer_without_an_identifier_says_so() {
    const SHUTDOWN: &str = env!("CARGO_BIN_EXE_fixture_shutdown");
    let mock = MockRuntimeApi::start();
    mock.answer_register_with(RegisterReply::NoIdentifier);
    let output = Function::against(SHUTDOWN, &mock.address(), &[]).wait();
    assert_eq!(output.code(), Some(1));
    assert_eq!(
        output.stderr_lines(),
        [
            "lambda_core: the Extensions API answered /extension/register with status 200 but no Lambda-Extension-Identifier header"
        ]
    );
}

#[test]
fn a_runtime_api_port_that_is_not_a_tcp_port_is_one_line_at_start() {
    for (value, reason) in [
        (
            "127.0.0.1:99999",
            "its port is not a number from 1 to 65535",
        ),
        ("127.0.0.1:abc", "its port is not a number from 1 to 65535"),
        ("127.0.0.1:", "its port is not a number from 1 to 65535"),
    ] {
        let output = Function::against(FAULTS, value, &[]).wait();
        assert_eq!(output.code(), Some(1), "{value}");
        assert_eq!(
            output.stderr_lines(),
            [format!(
                "lambda_core: AWS_LAMBDA_RUNTIME_API={value:?} is not usable: {reason}"
            )]
        );
    }
}

#[test]
fn credentials_in_the_runtime_api_address_are_never_printed() {
    let output = Function::against(FAULTS, "http://user:secret@127.0.0.1:1", &[]).wait();
    assert_eq!(output.code(), Some(1));
    assert_eq!(
        output.stderr_lines(),
        [
            r#"lambda_core: AWS_LAMBDA_RUNTIME_API="http://***@127.0.0.1:1" is not usable: it carries credentials, which the Runtime API never takes"#
        ]
    );
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

#[test]
fn an_event_with_no_length_is_read_to_the_end_of_its_connection() {
    let mock = MockRuntimeApi::start();
    let event = answer(json!(6));
    let raw = format!("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: no-length\r\n\r\n{event}");
    mock.push(Reply::Raw(raw.into_bytes()));
    let (requests, _) = mock.run_until_posts(FAULTS, &[], 1);
    let posts = posts(&requests);
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/no-length/response"
    );
    assert_eq!(posts[0].body_text(), "6");
}

#[test]
fn an_informational_answer_before_the_event_is_skipped() {
    let mock = MockRuntimeApi::start();
    let event = answer(json!(7));
    // The mock closes the connection after a raw reply, so the head says so: the post
    // then opens a new connection instead of finding this one gone.
    let raw = format!(
        "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n{}{event}",
        head("after-103", "Connection: close\r\n", event.len())
    );
    mock.push(Reply::Raw(raw.into_bytes()));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
    let posts = posts(&requests);
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/after-103/response"
    );
    assert_eq!(posts[0].body_text(), "7");
    assert_eq!(output.stderr_lines(), Vec::<&str>::new());
}

#[test]
fn a_head_over_12_kib_that_arrives_whole_is_refused_too() {
    let mock = MockRuntimeApi::start();
    // 13 KiB of head: under the 16 KiB input buffer, so it can arrive in one read.
    let raw = head(
        "big-head",
        &format!("X-Big: {}\r\n", "a".repeat(13 * 1024)),
        2,
    ) + "{}";
    mock.push(Reply::Raw(raw.into_bytes()));
    mock.push_event(Event::new("good", answer(json!(5))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 1);
    let posts = posts(&requests);
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(
        posts[0].path,
        "/2018-06-01/runtime/invocation/good/response"
    );
    let lines = output.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    assert!(lines[0].starts_with(DROPPED), "{}", lines[0]);
}

#[test]
fn a_redirect_answering_a_post_is_a_refusal_and_serving_goes_on() {
    let mock = MockRuntimeApi::start();
    mock.answer_posts_with(&[307]);
    mock.push_event(Event::new("first", answer(json!(1))));
    mock.push_event(Event::new("second", answer(json!(2))));
    let (requests, output) = mock.run_until_posts(FAULTS, &[], 2);
    let posts = posts(&requests);
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert_eq!(
        posts[1].path,
        "/2018-06-01/runtime/invocation/second/response"
    );
    assert_eq!(
        output.stderr_lines(),
        ["lambda_core: first: the Runtime API refused the answer with status 307"]
    );
}

#[test]
fn a_kept_alive_connection_the_api_closed_while_idle_costs_no_retry() {
    let mock = MockRuntimeApi::start();
    // The event, kept alive by its head, then the connection closed without a word, as
    // a server that closes idle connections does: the post finds it closed.
    let body = answer(json!(1));
    let mut raw = head("idle-closed", "", body.len()).into_bytes();
    raw.extend_from_slice(body.as_bytes());
    mock.push(Reply::Raw(raw));
    mock.push_event(Event::new("after", answer(json!(2))));
    let function = Function::against(FAULTS, &mock.address(), &[]);
    let requests = mock.wait_for_posts(2);
    let output = function.stop();
    let paths: Vec<&str> = posts(&requests)
        .iter()
        .map(|post| post.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "/2018-06-01/runtime/invocation/idle-closed/response",
            "/2018-06-01/runtime/invocation/after/response",
        ]
    );
    // Sent again at once on a new connection, not a retry that says so.
    assert_eq!(output.stderr, "");
}
