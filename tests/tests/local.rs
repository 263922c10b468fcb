//! Without `AWS_LAMBDA_RUNTIME_API`, the function reads events from standard input.

use lambda_tests::Function;

const FAULTS: &str = env!("CARGO_BIN_EXE_fixture_faults");
const INIT: &str = env!("CARGO_BIN_EXE_fixture_init");

#[test]
fn answers_each_line_on_its_own_line_and_exits_0() {
    let input = "{\"do\":\"answer\",\"with\":1}\n\n{\"do\":\"answer\",\"with\":{\"a\":[true]}}\n";
    let output = Function::run_with_stdin(FAULTS, &[], input);
    assert_eq!(output.code(), Some(0));
    assert_eq!(output.stdout_lines(), ["1", r#"{"a":[true]}"#]);
    assert_eq!(output.stderr, "");
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
    let stderr = output.stderr_lines();
    assert_eq!(
        stderr.last(),
        Some(&"lambda_core: 3 of 4 invocations failed")
    );
    assert!(
        stderr.iter().all(|line| line.starts_with("lambda_core: ")),
        "{}",
        output.stderr
    );
}

#[test]
fn no_input_is_no_invocation_and_exit_0() {
    let output = Function::run_with_stdin(FAULTS, &[], "");
    assert_eq!(
        (
            output.code(),
            output.stdout.as_str(),
            output.stderr.as_str()
        ),
        (Some(0), "", "")
    );
}

#[test]
fn init_runs_once_for_all_events() {
    let output = Function::run_with_stdin(INIT, &[("FIXTURE_INIT", "ok")], "\"a\"\n\"b\"\n");
    assert_eq!(output.code(), Some(0));
    assert_eq!(
        output.stdout_lines(),
        [
            r#"{"greeting":"hi a","init_calls":1,"request_id":"local-1"}"#,
            r#"{"greeting":"hi b","init_calls":1,"request_id":"local-2"}"#,
        ]
    );
}

#[test]
fn a_failing_init_prints_its_report_and_exits_1() {
    let output = Function::run_with_stdin(INIT, &[("FIXTURE_INIT", "panic")], "\"a\"\n");
    assert_eq!(output.code(), Some(1));
    assert!(
        output
            .stdout
            .starts_with(r#"{"errorType":"Runtime.Panic","errorMessage":"init panicked""#),
        "{}",
        output.stdout
    );
}
