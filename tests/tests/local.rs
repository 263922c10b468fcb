//! Without `AWS_LAMBDA_RUNTIME_API` and with standard input not a terminal, the function
//! invokes itself (through the emulator's child process) with each event on standard
//! input.

use lambda_tests::{Function, Output};

const FAULTS: &str = env!("CARGO_BIN_EXE_fixture_faults");
const INIT: &str = env!("CARGO_BIN_EXE_fixture_init");

/// Lambda's three lines per invocation, and the runtime's own one-line messages.
fn assert_lambda_log(output: &Output, invocations: usize) {
    let lines = output.stderr_lines();
    let count = |prefix: &str| lines.iter().filter(|line| line.starts_with(prefix)).count();
    assert_eq!(
        (
            count("START RequestId: "),
            count("END RequestId: "),
            count("REPORT RequestId: ")
        ),
        (invocations, invocations, invocations),
        "{}",
        output.stderr
    );
    for line in &lines {
        assert!(
            ["START ", "END ", "REPORT ", "lambda_core: "]
                .iter()
                .any(|prefix| line.starts_with(prefix)),
            "unexpected line {line:?}"
        );
    }
}

#[test]
fn answers_each_line_on_its_own_line_and_exits_0() {
    let input = "{\"do\":\"answer\",\"with\":1}\n\n{\"do\":\"answer\",\"with\":{\"a\":[true]}}\n";
    let output = Function::run_with_stdin(FAULTS, &[], input);
    assert_eq!(output.code(), Some(0));
    assert_eq!(output.stdout_lines(), ["1", r#"{"a":[true]}"#]);
    assert_lambda_log(&output, 2);
    let reports: Vec<_> = output
        .stderr_lines()
        .into_iter()
        .filter(|l| l.starts_with("REPORT "))
        .collect();
    assert!(reports[0].contains("\tInit Duration: "), "{}", reports[0]);
    assert!(
        !reports[1].contains("Init Duration"),
        "one init for both events: {}",
        reports[1]
    );
    assert!(
        reports[0].contains("\tMemory Size: 3008 MB\tMax Memory Used: "),
        "{}",
        reports[0]
    );
}

#[test]
fn a_whole_pretty_printed_document_is_one_event() {
    let input = "{\n  \"do\": \"answer\",\n  \"with\": \"pretty\"\n}\n";
    let output = Function::run_with_stdin(FAULTS, &[], input);
    assert_eq!(output.code(), Some(0));
    assert_eq!(output.stdout_lines(), [r#""pretty""#]);
}

#[test]
fn failures_print_the_error_report_go_on_and_exit_1() {
    let input = "{\"do\":\"fail\"}\n{broken\n{\"do\":\"panic\"}\n{\"do\":\"answer\",\"with\":2}\n";
    let output = Function::run_with_stdin(FAULTS, &[], input);
    assert_eq!(output.code(), Some(1));
    let lines = output.stdout_lines();
    assert_eq!(lines.len(), 4, "{}", output.stdout);
    assert_eq!(
        lines[0],
        r#"{"errorType":"FaultError","errorMessage":"payment failed","stackTrace":["card declined"]}"#
    );
    assert!(lines[1].starts_with(r#"{"errorType":"Runtime.InvalidEvent","errorMessage":"could not decode the event as Command: "#), "{}", lines[1]);
    assert!(lines[2].starts_with(r#"{"errorType":"Runtime.Panic","errorMessage":"the handler panicked","stackTrace":["tests/src/bin/fixture_faults.rs:"#), "{}", lines[2]);
    assert_eq!(lines[3], "2");
    assert_lambda_log(&output, 4);
    assert_eq!(
        output.stderr_lines().last(),
        Some(&"lambda_core: 3 of 4 invocations failed")
    );
}

#[test]
fn init_runs_once_for_all_events_with_a_fresh_request_id_each() {
    let output = Function::run_with_stdin(INIT, &[("FIXTURE_INIT", "ok")], "\"a\"\n\"b\"\n");
    assert_eq!(output.code(), Some(0));
    let answers: Vec<serde_json::Value> = output
        .stdout_lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (
            answers[0]["greeting"].as_str(),
            answers[0]["init_calls"].as_u64()
        ),
        (Some("hi a"), Some(1))
    );
    assert_eq!(
        (
            answers[1]["greeting"].as_str(),
            answers[1]["init_calls"].as_u64()
        ),
        (Some("hi b"), Some(1))
    );
    let ids: Vec<&str> = answers
        .iter()
        .filter_map(|a| a["request_id"].as_str())
        .collect();
    assert!(
        ids[0] != ids[1] && ids.iter().all(|id| id.len() == 36),
        "{ids:?}"
    );
}

#[test]
fn a_failing_init_answers_each_event_with_its_report_and_exits_1() {
    let output = Function::run_with_stdin(INIT, &[("FIXTURE_INIT", "panic")], "\"a\"\n\"b\"\n");
    assert_eq!(output.code(), Some(1));
    let lines = output.stdout_lines();
    assert_eq!(lines.len(), 2, "{}", output.stdout);
    for line in lines {
        assert!(
            line.starts_with(r#"{"errorType":"Runtime.Panic","errorMessage":"init panicked""#),
            "{line}"
        );
    }
}

#[test]
fn a_function_with_a_shutdown_hook_runs_locally_too() {
    // Its extension registers with the emulator's own Runtime API.
    let output = Function::run_with_stdin(env!("CARGO_BIN_EXE_fixture_shutdown"), &[], "[1]\n");
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    assert_eq!(output.stdout_lines(), ["[1]"]);
}

#[test]
fn help_prints_what_the_binary_does_locally_and_exits_0() {
    for flag in ["--help", "-h"] {
        let output = Function::start_with_args(FAULTS, &[flag], &[]).wait();
        assert_eq!(output.code(), Some(0), "{flag}: {}", output.stderr);
        assert!(
            output
                .stdout
                .starts_with("fixture_faults: an AWS Lambda function (lambda-core "),
            "{}",
            output.stdout
        );
        for mentioned in [
            "--serve",
            "LAMBDA_EMULATOR_ADDRESS",
            "AWS_LAMBDA_FUNCTION_TIMEOUT",
        ] {
            assert!(
                output.stdout.contains(mentioned),
                "{mentioned}: {}",
                output.stdout
            );
        }
        assert_eq!(output.stderr, "");
    }
}

#[test]
fn an_unknown_flag_is_one_line_and_exit_2_and_a_positional_argument_is_ignored() {
    let output = Function::start_with_args(FAULTS, &["--verbose"], &[]).wait();
    assert_eq!(output.code(), Some(2));
    assert_eq!(
        output.stderr_lines(),
        ["lambda_core: unknown flag \"--verbose\"; the flags are --serve and --help (-h)"]
    );
    // A container's CMD may name a handler; it changes nothing: with no input, the
    // one line says so, and no flag is refused.
    let output = Function::start_with_args(FAULTS, &["bootstrap.handler"], &[]).wait();
    assert_eq!(output.code(), Some(1));
    assert_eq!(output.stderr_lines(), [NO_EVENT]);
}

const NO_EVENT: &str = "lambda_core: no event was read from standard input; pipe JSON events into it, one per line (echo '{\"name\":\"world\"}' | ./bootstrap), or run it with --serve for the Invoke endpoint";

#[test]
fn no_input_is_no_invocation_one_line_and_exit_1() {
    for input in ["", "\n  \n"] {
        let output = Function::run_with_stdin(FAULTS, &[], input);
        assert_eq!(
            (output.code(), output.stdout.as_str()),
            (Some(1), ""),
            "{input:?}"
        );
        assert_eq!(output.stderr_lines(), [NO_EVENT], "{input:?}");
    }
}
