//! `#[lambda(shutdown = ...)]`: an internal extension registered before the first
//! `/next`, a helper parked on its event stream, and the hook run on SIGTERM.

use lambda_tests::{Event, Function, MockRuntimeApi};
use std::process::Command;

const SHUTDOWN: &str = env!("CARGO_BIN_EXE_fixture_shutdown");

#[test]
fn registers_first_parks_and_runs_the_hook_on_sigterm_then_exits_0() {
    let marker = std::env::temp_dir().join(format!("lambda-core-shutdown-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("req-1", "[1]"));
    let marker_text = marker.display().to_string();
    let function = Function::against(
        SHUTDOWN,
        &mock.address(),
        &[("SHUTDOWN_MARKER", &marker_text)],
    );
    // Wait for every request asserted on below: the register call, the helper's parked
    // poll, the main thread's `/next` and the answer to the event. They come from two
    // threads, so one having arrived says nothing about the other.
    let requests = mock.wait_until(|requests| {
        let has = |path: &str| requests.iter().any(|r| r.path == path);
        has("/2020-01-01/extension/register")
            && has("/2020-01-01/extension/event/next")
            && has("/2018-06-01/runtime/invocation/next")
            && requests
                .iter()
                .any(|r| r.method == "POST" && r.path.ends_with("/response"))
    });

    let register = requests
        .iter()
        .position(|r| r.path == "/2020-01-01/extension/register")
        .expect("a register call");
    let first_next = requests
        .iter()
        .position(|r| r.path == "/2018-06-01/runtime/invocation/next")
        .expect("a /next");
    assert!(
        register < first_next,
        "registered after the first /next: {requests:#?}"
    );
    let call = &requests[register];
    assert_eq!(call.method, "POST");
    assert_eq!(
        call.header("lambda-extension-name"),
        Some("lambda-core-shutdown-hook")
    );
    assert_eq!(call.body_text(), r#"{"events":[]}"#);
    let parked = requests
        .iter()
        .find(|r| r.path == "/2020-01-01/extension/event/next")
        .expect("a parked poll");
    assert_eq!(
        parked.header("lambda-extension-identifier"),
        Some("ext-0001")
    );
    assert!(!marker.exists(), "the hook ran before SIGTERM");

    let pid = function.pid().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = function.wait();
    assert_eq!(output.code(), Some(0), "{output:#?}");
    assert_eq!(
        std::fs::read_to_string(&marker).ok().as_deref(),
        Some("shut down")
    );
    let _ = std::fs::remove_file(&marker);
}
