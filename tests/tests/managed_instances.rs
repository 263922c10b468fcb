//! Lambda Managed Instances: `AWS_LAMBDA_MAX_CONCURRENCY` pollers in one process,
//! against the mock Runtime API, and the built-in emulator in its Managed Instances mode.

use lambda_tests::{
    Emulator, Event, Function, InvokeReply, MockRuntimeApi, Recorded, Reply, children, curl, posts,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::thread;

const CONCURRENT: &str = env!("CARGO_BIN_EXE_fixture_concurrent");
const LOCAL_STATE: &str = env!("CARGO_BIN_EXE_fixture_local_state");
const INSPECT: &str = env!("CARGO_BIN_EXE_fixture_inspect");
/// The emulator's Managed Instances mode writes JSON lines by default; these tests read
/// the text ones.
const TEXT: (&str, &str) = ("AWS_LAMBDA_LOG_FORMAT", "Text");

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
    // The main thread is the first poller; the others are named for their number.
    let expected = [
        "main",
        "lambda-poller-2",
        "lambda-poller-3",
        "lambda-poller-4",
    ];
    assert_eq!(threads, HashSet::from(expected.map(str::to_owned)));
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

/// Invokes `emulator` `count` times with `body`, all at once.
fn invoke_all(emulator: &Emulator, body: &Value, count: usize) -> Vec<InvokeReply> {
    let callers: Vec<_> = (0..count)
        .map(|_| {
            let (url, body) = (emulator.url.clone(), body.to_string());
            thread::spawn(move || curl(&url, &["-XPOST", "-d", &body]))
        })
        .collect();
    callers
        .into_iter()
        .map(|caller| caller.join().expect("the caller thread"))
        .collect()
}

/// A path no file is at yet, for `hold_until`; the test creates it to release holders.
fn release_path(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("lambda-release-{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn the_emulator_in_managed_instances_mode_runs_n_invokes_in_one_process_at_once() {
    let emulator = Emulator::start(CONCURRENT, &[("AWS_LAMBDA_MAX_CONCURRENCY", "3"), TEXT]);
    let replies = invoke_all(&emulator, &json!({"meet": 3, "then": "answer"}), 3);
    let mut threads = HashSet::new();
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        let body = reply.json();
        assert_eq!(
            body["met"], true,
            "three invokes were never in flight at once"
        );
        assert_eq!(
            body["request_id"],
            reply.header("x-amzn-requestid").unwrap_or_default()
        );
        threads.insert(body["thread"].to_string());
    }
    assert_eq!(threads.len(), 3, "{threads:?}");
    assert_eq!(
        children(emulator.function.pid()).len(),
        1,
        "one function process"
    );
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("Init Duration").count(),
        1,
        "{}",
        output.stderr
    );
}

#[test]
fn an_invoke_over_the_concurrency_is_throttled_with_429() {
    let release = release_path("throttle");
    let emulator = Emulator::start(CONCURRENT, &[("AWS_LAMBDA_MAX_CONCURRENCY", "2"), TEXT]);
    let hold = json!({"meet": 1, "then": {"hold_until": release}});
    let holders = {
        let url = emulator.url.clone();
        thread::spawn(move || {
            let emulator_url = url;
            let callers: Vec<_> = (0..2)
                .map(|_| {
                    let (url, body) = (emulator_url.clone(), hold.to_string());
                    thread::spawn(move || curl(&url, &["-XPOST", "-d", &body]))
                })
                .collect();
            callers
                .into_iter()
                .map(|c| c.join().expect("caller"))
                .collect::<Vec<_>>()
        })
    };
    emulator
        .function
        .wait_for_stderr_lines(2, |line| line.starts_with("holding "));
    let throttled = emulator.invoke(&json!({"meet": 1, "then": "answer"}).to_string());
    std::fs::write(&release, b"").expect("release the holders");
    let held = holders.join().expect("the holders");
    let _ = std::fs::remove_file(&release);

    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert_eq!(
        throttled.header("x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
    assert_eq!(throttled.json()["errorType"], "TooManyRequestsException");
    for reply in held {
        assert_eq!(
            (reply.status, reply.is_function_error()),
            (200, false),
            "{}",
            reply.body
        );
    }
    // Both slots are free again.
    let after = invoke_all(&emulator, &json!({"meet": 2, "then": "answer"}), 2);
    assert!(after.iter().all(|reply| reply.json()["met"] == true));
    emulator.function.stop();
}

/// An emulator in Managed Instances mode with `concurrency` and a 1 s timeout, and an
/// invocation of it that overran (it holds until `release` exists): the reply, and the
/// one function process, which is left running.
fn start_with_an_overrun(
    concurrency: &str,
    release: &std::path::Path,
) -> (Emulator, InvokeReply, Vec<u32>) {
    let emulator = Emulator::start(
        CONCURRENT,
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", concurrency),
            ("AWS_LAMBDA_FUNCTION_TIMEOUT", "1"),
            TEXT,
        ],
    );
    let overrun = emulator.invoke(&json!({"meet": 1, "then": {"hold_until": release}}).to_string());
    assert!(overrun.is_function_error(), "{}", overrun.body);
    assert_eq!(overrun.json()["errorType"], "Sandbox.Timedout");
    let child = children(emulator.function.pid());
    assert_eq!(child.len(), 1, "the process was not left running");
    (emulator, overrun, child)
}

#[test]
fn a_timed_out_invocation_in_managed_instances_mode_leaves_the_process_serving() {
    let release = release_path("timeout");
    let (emulator, overrun, child) = start_with_an_overrun("2", &release);
    let pid = emulator.function.pid();
    // The other slot serves while the overrun one still runs.
    let served = emulator.invoke(&json!({"meet": 1, "then": "answer"}).to_string());
    assert_eq!(
        (served.status, served.is_function_error()),
        (200, false),
        "{}",
        served.body
    );
    assert_eq!(children(pid), child, "the same process served it");

    // Released, the late answer is refused as stale, and its slot is free again.
    std::fs::write(&release, b"").expect("release the holder");
    let request_id = overrun
        .header("x-amzn-requestid")
        .unwrap_or_default()
        .to_owned();
    emulator.function.wait_for_stderr_line(|line| {
        line == format!("lambda_core: {request_id}: the Runtime API answered 410 Gone: the invocation is no longer current (it timed out, or was answered already)")
    });
    let _ = std::fs::remove_file(&release);
    let both = invoke_all(&emulator, &json!({"meet": 2, "then": "answer"}), 2);
    assert!(both.iter().all(|reply| reply.json()["met"] == true));
    assert_eq!(children(pid), child);
    emulator.function.stop();
}

#[test]
fn the_tenant_id_reaches_the_function_in_both_modes_and_a_bad_one_is_refused() {
    for env in [vec![], vec![("AWS_LAMBDA_MAX_CONCURRENCY", "2"), TEXT]] {
        let emulator = Emulator::start(INSPECT, &env);
        let reply = curl(
            &emulator.url,
            &["-XPOST", "-d", "{}", "-H", "X-Amz-Tenant-Id: tenant-7"],
        );
        assert_eq!(reply.json()["tenant_id"], "tenant-7", "{env:?}");
        let plain = emulator.invoke("{}");
        assert_eq!(plain.json()["tenant_id"], Value::Null, "{env:?}");
        let long = format!("X-Amz-Tenant-Id: {}", "t".repeat(257));
        for bad in [long.as_str(), "X-Amz-Tenant-Id: caf\u{e9}"] {
            let refused = curl(&emulator.url, &["-XPOST", "-d", "{}", "-H", bad]);
            assert_eq!(refused.status, 400, "{env:?} {bad}");
            assert_eq!(
                refused.json()["errorMessage"],
                "X-Amz-Tenant-Id must be 1 to 256 printable ASCII characters"
            );
        }
        emulator.function.stop();
    }
}

#[test]
fn a_bad_concurrency_is_one_line_from_the_emulator_and_none_from_its_function() {
    let emulator = Emulator::start(CONCURRENT, &[("AWS_LAMBDA_MAX_CONCURRENCY", "lots"), TEXT]);
    let reply = emulator.invoke(&json!({"meet": 1, "then": "answer"}).to_string());
    assert_eq!(reply.json()["met"], true);
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("AWS_LAMBDA_MAX_CONCURRENCY").count(),
        1,
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains(
        "lambda_core: AWS_LAMBDA_MAX_CONCURRENCY=\"lots\" is not a positive whole number; counting it as 1"
    ));
}

#[test]
fn a_child_whose_every_slot_timed_out_is_replaced() {
    let release = release_path("replaced");
    let (emulator, _, first_child) = start_with_an_overrun("1", &release);
    let pid = emulator.function.pid();

    // Its only slot is held by an invocation that still runs: the child is replaced.
    let served = emulator.invoke(&json!({"meet": 1, "then": "answer"}).to_string());
    assert_eq!(
        (served.status, served.is_function_error()),
        (200, false),
        "{}",
        served.body
    );
    let second_child = children(pid);
    assert_eq!(second_child.len(), 1);
    assert_ne!(second_child, first_child);
    let output = emulator.function.stop();
    assert!(
        output.stderr.contains(
            "lambda_core: every invocation in the function process timed out and is still running; replacing the process"
        ),
        "{}",
        output.stderr
    );
    assert_eq!(
        output.stderr.matches("Init Duration").count(),
        2,
        "{}",
        output.stderr
    );
}
