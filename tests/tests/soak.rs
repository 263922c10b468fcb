//! Exactly-once under load: many invocations through the runtime against a Runtime API
//! that injects a seeded random fault into a fraction of exchanges, restarting the
//! function only where a fault ends it by contract; then the ledger is checked. Once
//! with one poller, once with four (Lambda Managed Instances), where a fault that ends
//! the process abandons what the other pollers hold, as the contract allows.
//!
//! `SOAK_INVOCATIONS` (default 2000), `SOAK_SEED` and `SOAK_FAULT_PERCENT` (default 10)
//! change the run; docs/DEVELOPMENT.md records a 100 000-invocation run.

use lambda_tests::{Event, Function, MockRuntimeApi, PostReply, Reply, Rng};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const FAULTS: &str = env!("CARGO_BIN_EXE_fixture_faults");

/// What a `/next` exchange does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Normal,
    NoContent,
    ResetBeforeStatus,
    TruncatedBody,
    UnsafeId,
    NextStatus500,
    HandlerPanic,
    HandlerError,
    UndecodableEvent,
    PostDropped,
    PostStatus500,
}

const KINDS: [Kind; 11] = [
    Kind::Normal,
    Kind::NoContent,
    Kind::ResetBeforeStatus,
    Kind::TruncatedBody,
    Kind::UnsafeId,
    Kind::NextStatus500,
    Kind::HandlerPanic,
    Kind::HandlerError,
    Kind::UndecodableEvent,
    Kind::PostDropped,
    Kind::PostStatus500,
];

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What an id handed to the runtime must end with.
#[derive(Debug, PartialEq)]
enum Expect {
    /// An accepted `/response` with this body.
    Response(String),
    /// An accepted `/error` of this type.
    Error(&'static str),
    /// No accepted answer: the contract says it cannot be answered (unsafe id), or the
    /// process ends by contract before it can be (a `500` to its post).
    Nothing,
}

#[test]
fn every_event_gets_exactly_one_accepted_answer() {
    soak(1);
}

#[test]
fn with_four_pollers_every_event_gets_one_answer_unless_an_exit_abandoned_it() {
    soak(4);
}

fn soak(pollers: usize) {
    let invocations = setting("SOAK_INVOCATIONS", 2000) as usize;
    let seed = setting("SOAK_SEED", 0x05ee_d1ab);
    let fault_percent = setting("SOAK_FAULT_PERCENT", 10);
    let mut rng = Rng(seed | 1);

    // The script: every fault kind at least once, then random ones at the given rate.
    let mut kinds: Vec<Kind> = KINDS[1..].to_vec();
    while kinds.len() < invocations {
        kinds.push(if rng.below(100) < fault_percent {
            KINDS[1 + rng.below(10) as usize]
        } else {
            Kind::Normal
        });
    }
    let mock = MockRuntimeApi::start();
    let mut expected: HashMap<String, Expect> = HashMap::new();
    let mut post_treatments: Vec<(String, PostReply)> = Vec::new();
    let mut fired: HashMap<Kind, usize> = HashMap::new();
    for (n, kind) in kinds.iter().enumerate() {
        *fired.entry(*kind).or_default() += 1;
        let id = format!("s{n}");
        let answer = |value: &str| format!(r#"{{"do":"answer","with":"{value}"}}"#);
        let reply = match kind {
            Kind::Normal | Kind::PostDropped | Kind::PostStatus500 => {
                post_treatments.push((
                    id.clone(),
                    match kind {
                        Kind::PostDropped => PostReply::Drop,
                        Kind::PostStatus500 => PostReply::Status(500),
                        _ => PostReply::Status(202),
                    },
                ));
                let outcome = if *kind == Kind::PostStatus500 {
                    Expect::Nothing
                } else {
                    Expect::Response(format!("\"{id}\""))
                };
                expected.insert(id.clone(), outcome);
                Reply::Event(Event::new(&id, answer(&id)))
            }
            Kind::NoContent => Reply::NoContent,
            Kind::ResetBeforeStatus => Reply::Raw(Vec::new()),
            Kind::TruncatedBody => {
                expected.insert(id.clone(), Expect::Error("Runtime.InvalidEvent"));
                Reply::Raw(format!("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: {id}\r\nContent-Length: 50\r\n\r\n{{\"do\"").into_bytes())
            }
            Kind::UnsafeId => {
                expected.insert(format!("../{id}"), Expect::Nothing);
                Reply::Event(Event::new(&format!("../{id}"), answer(&id)))
            }
            Kind::NextStatus500 => Reply::Status(500),
            Kind::HandlerPanic | Kind::HandlerError | Kind::UndecodableEvent => {
                let (body, error_type) = match kind {
                    Kind::HandlerPanic => (r#"{"do":"panic"}"#, "Runtime.Panic"),
                    Kind::HandlerError => (r#"{"do":"fail"}"#, "Function.FaultError"),
                    _ => ("{oops", "Runtime.InvalidEvent"),
                };
                expected.insert(id.clone(), Expect::Error(error_type));
                Reply::Event(Event::new(&id, body))
            }
        };
        mock.push(reply);
    }
    mock.treat_posts_for(post_treatments);
    let concurrency = pollers.to_string();
    let env: &[(&str, &str)] = &[("AWS_LAMBDA_MAX_CONCURRENCY", &concurrency)];

    // Run processes until the script is used up; a process may end only after a fault
    // that ends it by contract (a 500 from /next or to a post), and then with status 1.
    let fatal_replies: Vec<usize> = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| **k == Kind::NextStatus500)
        .map(|(i, _)| i)
        .collect();
    let fatal_posts =
        |mock: &MockRuntimeApi| mock.count_decisions(|r| matches!(r, PostReply::Status(500)));
    let deadline = Instant::now() + Duration::from_secs(600);
    let (mut processes, mut exits) = (0, 0);
    let final_output = loop {
        let (served_before, _) = mock.progress();
        let fatal_posts_before = fatal_posts(&mock);
        mock.begin_generation();
        let mut function = Function::against(FAULTS, &mock.address(), env);
        processes += 1;
        let exited = loop {
            assert!(
                Instant::now() < deadline,
                "the soak did not finish; progress {:?}",
                mock.progress()
            );
            std::thread::sleep(Duration::from_millis(5));
            if let Some(status) = function.try_status() {
                break Some(status);
            }
            // Done when every reply is served and every poller of this process is
            // parked on a poll nothing will answer, so none holds an invocation: a
            // process about to exit after a fatal last fault has one poller that will
            // not poll again, so its exit is still counted.
            let (_, pending) = mock.progress();
            if pending == 0 && mock.parked() == pollers {
                break None;
            }
        };
        match exited {
            None => break function.stop(),
            Some(status) => {
                exits += 1;
                let (served_after, _) = mock.progress();
                let fatal_reply = fatal_replies
                    .iter()
                    .any(|&i| i >= served_before && i < served_after);
                let output = function.wait();
                assert!(
                    fatal_reply || fatal_posts(&mock) > fatal_posts_before,
                    "process {processes} ended without a fatal fault: {status:?}, served {served_before}..{served_after}: {}\ndecisions {:?}",
                    output.stderr,
                    mock.decisions()
                );
                assert_eq!(status.code(), Some(1), "process {processes}");
            }
        }
    };

    // The ledger: every id, exactly one accepted answer, and the right one.
    let decisions = mock.decisions();
    let requests = mock.requests();
    let mut accepted: HashMap<String, Vec<usize>> = HashMap::new();
    for (id, treatment, index) in &decisions {
        if matches!(
            treatment,
            PostReply::Status(200..=299) | PostReply::Drop | PostReply::Silence(_)
        ) {
            accepted.entry(id.clone()).or_default().push(*index);
        }
    }
    let mut abandoned = 0;
    for (id, expect) in &expected {
        let answers = accepted.get(id).map_or(&[][..], Vec::as_slice);
        // With several pollers, a fault that ends the process abandons the invocations
        // the others hold: Lambda answers those, the runtime cannot.
        if pollers > 1 && answers.is_empty() && *expect != Expect::Nothing {
            abandoned += 1;
            continue;
        }
        match expect {
            Expect::Nothing => assert!(
                answers.is_empty(),
                "{id} cannot be answered, but was: {answers:?}"
            ),
            Expect::Response(body) => {
                assert_eq!(answers.len(), 1, "{id}: {} accepted answers", answers.len());
                let post = &requests[answers[0]];
                assert!(
                    post.path.ends_with(&format!("/{id}/response")),
                    "{id}: {}",
                    post.path
                );
                assert_eq!(
                    &post.body_text(),
                    body,
                    "{id} answered with another's result"
                );
            }
            Expect::Error(error_type) => {
                assert_eq!(answers.len(), 1, "{id}: {} accepted answers", answers.len());
                let post = &requests[answers[0]];
                assert!(
                    post.path.ends_with(&format!("/{id}/error")),
                    "{id}: {}",
                    post.path
                );
                assert_eq!(
                    post.header("lambda-runtime-function-error-type"),
                    Some(*error_type),
                    "{id}"
                );
            }
        }
    }
    assert!(
        accepted.keys().all(|id| expected.contains_key(id)),
        "an answer for an id never handed out"
    );
    for kind in KINDS {
        assert!(
            fired.get(&kind).copied().unwrap_or(0) > 0,
            "{kind:?} never fired"
        );
    }
    let fatal = fired.get(&Kind::NextStatus500).copied().unwrap_or(0)
        + fired.get(&Kind::PostStatus500).copied().unwrap_or(0);
    if pollers == 1 {
        assert_eq!(exits, fatal, "one exit per fatal fault");
    } else {
        // A fatal fault handed to a poller of a process already ending is abandoned
        // with it, so some cause no exit of their own; each exit had its cause above.
        assert!(
            exits >= 1 && exits <= fatal,
            "{exits} exits for {fatal} fatal faults"
        );
        assert!(
            abandoned <= (pollers - 1) * exits,
            "{abandoned} abandoned by {exits} exits of {pollers} pollers"
        );
    }
    eprintln!(
        "soak: {pollers} pollers, seed {seed:#x}, {invocations} exchanges, {fault_percent}% faults, {processes} processes, {} accepted answers, {abandoned} abandoned by an exit; fired: {fired:?}",
        accepted.len()
    );
    drop(final_output);
}
