//! Lines in the format Lambda's advanced logging controls ask for: `AWS_LAMBDA_LOG_FORMAT`
//! and `AWS_LAMBDA_LOG_LEVEL`, the request id on every line written in an invocation,
//! the `log` and `tracing` facades with no setup, and a user's own loggers.

use lambda_tests::{Emulator, Event, Function, MockRuntimeApi, Output, posts};
use serde_json::{Value, json};

const LOGGING: &str = env!("CARGO_BIN_EXE_fixture_logging");
const INIT: &str = env!("CARGO_BIN_EXE_fixture_init");
const JSON: (&str, &str) = ("AWS_LAMBDA_LOG_FORMAT", "JSON");

fn command(then: &str) -> String {
    json!({"then": then}).to_string()
}

/// Every line of standard error as JSON, each with the three keys Lambda needs.
fn json_lines(output: &Output) -> Vec<Value> {
    output
        .stderr_lines()
        .into_iter()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}\n{}", output.stderr));
            for key in ["timestamp", "level", "message"] {
                assert!(value[key].is_string(), "no {key}: {line}");
            }
            value
        })
        .collect()
}

fn with_message<'a>(lines: &'a [Value], start: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|line| {
            line["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(start))
        })
        .collect()
}

#[test]
fn in_json_mode_every_line_is_an_object_and_an_invocations_lines_carry_its_id() {
    let mock = MockRuntimeApi::start();
    mock.push_event(
        Event::new("ok-1", command("answer")).header("Lambda-Runtime-Aws-Tenant-Id", "t-9"),
    );
    mock.push_event(Event::new("fail-1", command("fail")));
    mock.push_event(Event::new("panic-1", command("panic")));
    mock.push_event(Event::new("bad-1", "{oops"));
    mock.push_event(Event::new("../unsafe", command("answer")));
    mock.push_event(Event::new("last-1", command("answer")));
    let (requests, output) = mock.run_until_posts(LOGGING, &[JSON], 5);
    assert_eq!(posts(&requests).len(), 5);
    let lines = json_lines(&output);

    let handled = with_message(&lines, "log handling ok-1");
    assert_eq!(handled.len(), 1, "{}", output.stderr);
    assert_eq!(handled[0]["level"], "INFO");
    assert_eq!(handled[0]["logger"], "fixture_logging");
    assert_eq!(handled[0]["requestId"], "ok-1");
    assert_eq!(handled[0]["tenantId"], "t-9");
    assert_eq!(
        (handled[0]["order"].clone(), handled[0]["paid"].clone()),
        (json!(7), json!(true))
    );
    let traced = with_message(&lines, "tracing handling ok-1");
    assert_eq!(traced.len(), 1, "{}", output.stderr);
    assert_eq!(
        (traced[0]["requestId"].clone(), traced[0]["order"].clone()),
        (json!("ok-1"), json!(8))
    );
    assert_eq!(
        with_message(&lines, "log warning last-1")[0]["level"],
        "WARN"
    );
    assert!(
        with_message(&lines, "log detail").is_empty(),
        "DEBUG is below the default INFO"
    );

    // Every line written while an invocation ran carries that invocation's id.
    for line in &lines {
        let message = line["message"].as_str().unwrap_or_default();
        for id in ["ok-1", "fail-1", "panic-1", "last-1"] {
            if message.contains(&format!(" {id}")) || message.starts_with(&format!("{id}:")) {
                assert_eq!(line["requestId"], id, "{line}");
            }
        }
    }
    let failed = with_message(&lines, "fail-1: ");
    assert_eq!(failed.len(), 1, "{}", output.stderr);
    assert_eq!(failed[0]["level"], "ERROR");
    assert_eq!(failed[0]["errorMessage"], "fail-1 failed on purpose");
    let panicked = with_message(&lines, "panic-1: Runtime.Panic");
    assert_eq!(panicked[0]["errorType"], "Runtime.Panic");
    assert!(panicked[0]["stackTrace"].is_array());
    assert_eq!(
        with_message(&lines, "bad-1: Runtime.InvalidEvent")[0]["requestId"],
        "bad-1"
    );
    let skipped = with_message(&lines, "skipped an event");
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        (skipped[0]["level"].clone(), skipped[0].get("requestId")),
        (json!("WARN"), None)
    );
    // Records written during init go nowhere: no logger was installed yet.
    assert!(
        with_message(&lines, "setting up").is_empty(),
        "{}",
        output.stderr
    );
}

#[test]
fn a_failed_init_in_json_mode_is_a_fatal_json_line() {
    let mock = MockRuntimeApi::start();
    let output =
        Function::against(INIT, &mock.address(), &[JSON, ("FIXTURE_INIT", "error")]).wait();
    assert_eq!(output.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    assert_eq!(lines[0]["level"], "FATAL");
    assert_eq!(lines[0]["errorType"], "ConfigError");
    assert_eq!(lines[0].get("requestId"), None);
}

#[test]
fn the_level_filters_records_and_runtime_lines_alike() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("a", command("answer")));
    let (_, output) = mock.run_until_posts(LOGGING, &[JSON, ("AWS_LAMBDA_LOG_LEVEL", "warn")], 1);
    let lines = json_lines(&output);
    assert!(
        with_message(&lines, "log handling").is_empty(),
        "{}",
        output.stderr
    );
    assert!(with_message(&lines, "tracing handling").is_empty());
    assert_eq!(
        with_message(&lines, "log warning a").len(),
        1,
        "{}",
        output.stderr
    );

    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("b", command("answer")));
    let (_, output) = mock.run_until_posts(LOGGING, &[JSON, ("AWS_LAMBDA_LOG_LEVEL", "debug")], 1);
    assert_eq!(with_message(&json_lines(&output), "log detail b").len(), 1);

    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("c", command("answer")));
    let (_, output) = mock.run_until_posts(LOGGING, &[("AWS_LAMBDA_LOG_LEVEL", "loud")], 1);
    assert_eq!(
        output.stderr_lines()[0],
        "lambda_core: AWS_LAMBDA_LOG_LEVEL=\"loud\" is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL; using INFO"
    );
}

#[test]
fn the_http_clients_own_records_are_hidden_unless_asked_for() {
    let loggers = |env: &[(&str, &str)]| {
        let mock = MockRuntimeApi::start();
        mock.push_event(Event::new("a", command("answer")));
        mock.push_event(Event::new("b", command("answer")));
        let (_, output) = mock.run_until_posts(LOGGING, env, 2);
        json_lines(&output)
            .iter()
            .filter_map(|line| line["logger"].as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let quiet = loggers(&[JSON, ("AWS_LAMBDA_LOG_LEVEL", "TRACE")]);
    assert!(quiet.iter().any(|logger| logger == "fixture_logging"));
    assert!(
        !quiet.iter().any(|logger| logger.starts_with("ureq")),
        "{quiet:?}"
    );
    let asked = loggers(&[
        JSON,
        ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
        ("LAMBDA_LOG_DEPENDENCIES", "1"),
    ]);
    assert!(
        asked.iter().any(|logger| logger.starts_with("ureq")),
        "{asked:?}"
    );
}

#[test]
fn loggers_the_user_installs_in_init_get_the_records_and_nothing_panics() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("a", command("answer")));
    mock.push_event(Event::new("b", command("fail")));
    let (requests, output) =
        mock.run_until_posts(LOGGING, &[JSON, ("FIXTURE_OWN_LOGGERS", "1")], 2);
    assert!(posts(&requests)[0].path.ends_with("/a/response"));
    let stderr = &output.stderr;
    assert!(stderr.contains("own-log: INFO setting up\n"), "{stderr}");
    assert!(
        stderr.contains("own-log: INFO log handling a\n"),
        "{stderr}"
    );
    assert!(stderr.contains("tracing handling a"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Ours wrote none of the user's records: its only JSON lines are its own.
    for line in stderr.lines().filter(|line| line.starts_with('{')) {
        let json: Value = serde_json::from_str(line).unwrap_or_default();
        assert_eq!(json["logger"], "lambda_core", "{line}");
    }
}

#[test]
fn concurrent_invocations_each_stamp_their_own_request_id() {
    let mock = MockRuntimeApi::start();
    let function = Function::against(
        LOGGING,
        &mock.address(),
        &[JSON, ("AWS_LAMBDA_MAX_CONCURRENCY", "2")],
    );
    mock.wait_for_polls(2);
    for id in ["left", "right"] {
        mock.push_event(Event::new(
            id,
            json!({"meet": 2, "then": "answer"}).to_string(),
        ));
    }
    let requests = mock.wait_for_posts(2);
    assert!(
        posts(&requests)
            .iter()
            .all(|post| post.path.ends_with("/response")),
        "the two invocations never overlapped: {requests:#?}"
    );
    let lines = json_lines(&function.stop());
    for id in ["left", "right"] {
        let mine = with_message(&lines, &format!("log handling {id}"));
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["requestId"], id);
    }
}

#[test]
fn text_mode_keeps_the_runtimes_lines_and_writes_records_with_level_and_id() {
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("t-1", command("fail")));
    let (_, output) = mock.run_until_posts(LOGGING, &[], 1);
    let lines = output.stderr_lines();
    let record = lines
        .iter()
        .find(|line| line.contains("log handling t-1"))
        .unwrap_or_else(|| panic!("{}", output.stderr));
    assert!(record.starts_with("[INFO]\t20"), "{record}");
    assert!(
        record.ends_with("\tt-1\tlog handling t-1 order=7 paid=true"),
        "{record}"
    );
    assert!(
        lines.contains(&"lambda_core: t-1: Error: t-1 failed on purpose"),
        "{}",
        output.stderr
    );
}

#[test]
fn the_emulator_in_json_mode_writes_platform_records() {
    let emulator = Emulator::start(LOGGING, &[JSON]);
    let reply = emulator.invoke(&command("answer"));
    assert_eq!(reply.status, 200);
    let request_id = reply
        .header("x-amzn-requestid")
        .unwrap_or_default()
        .to_owned();
    let output = emulator.function.stop();
    let mut records = Vec::new();
    for line in output.stderr_lines() {
        let json: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if let Some(kind) = json["type"].as_str() {
            assert!(
                json["time"].as_str().is_some_and(|t| t.ends_with('Z')),
                "{line}"
            );
            records.push((kind.to_owned(), json["record"].clone()));
        } else {
            assert!(json["level"].is_string(), "{line}");
        }
    }
    let kinds: Vec<&str> = records.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "platform.initStart",
            "platform.start",
            "platform.runtimeDone",
            "platform.report"
        ]
    );
    assert_eq!(records[0].1["initializationType"], "on-demand");
    assert_eq!(records[1].1["requestId"], request_id);
    assert_eq!(records[2].1["status"], "success");
    assert!(
        records[2].1["metrics"]["producedBytes"]
            .as_u64()
            .is_some_and(|bytes| bytes > 0)
    );
    let report = &records[3].1;
    assert_eq!(report["metrics"]["memorySizeMB"], 3008);
    assert!(report["metrics"]["initDurationMs"].is_number(), "{report}");
    assert!(
        report["metrics"]["billedDurationMs"].is_number(),
        "{report}"
    );
}

#[test]
fn the_emulator_warns_once_about_a_bad_level_and_its_function_process_not_again() {
    let emulator = Emulator::start(LOGGING, &[("AWS_LAMBDA_LOG_LEVEL", "loud")]);
    let reply = emulator.invoke(&command("answer"));
    assert_eq!(reply.status, 200);
    let output = emulator.function.stop();
    assert_eq!(
        output.stderr.matches("AWS_LAMBDA_LOG_LEVEL").count(),
        1,
        "{}",
        output.stderr
    );
}
