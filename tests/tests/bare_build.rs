//! A function built with the default features (no `log`, no `tracing`) and `panic = "abort"`
//! (tests/bare): it compiles, writes today's text lines, and warns about the abort.
//! Built on its own manifest: in the workspace, feature unification would turn the
//! features back on.

use lambda_tests::{Event, MockRuntimeApi, cargo, cargo_build, posts};
use std::path::{Path, PathBuf};

fn bare_manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bare/Cargo.toml")
}

fn build() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target/bare");
    cargo_build(
        &root.join("tests/bare/Cargo.toml"),
        &target,
        &["--locked"],
        "tests/bare",
    );
    target.join("debug/bare").to_string_lossy().into_owned()
}

#[test]
fn without_the_logging_features_and_with_panic_abort_the_lines_are_text_and_the_abort_is_named() {
    let binary = build();
    let mock = MockRuntimeApi::start();
    mock.push_event(Event::new("a", r#""hello""#));
    mock.push_event(Event::new("b", r#""fail""#));
    let (requests, output) = mock.run_until_posts(&binary, &[("AWS_LAMBDA_LOG_FORMAT", "Text")], 2);
    assert_eq!(posts(&requests)[0].body_text(), r#""hello""#);
    assert_eq!(
        output.stderr_lines(),
        [
            "lambda_core: this binary was built with panic = \"abort\": a panic ends the process, and Lambda reports Runtime.ExitError instead of Runtime.Panic; set panic = \"unwind\" in the release profile",
            "lambda_core: b: Error: failed on purpose",
        ]
    );
}

#[test]
fn without_the_tokio_feature_no_tokio_is_compiled_in() {
    let tree = cargo(
        &["tree", "--edges", "normal", "--prefix", "none"],
        &bare_manifest(),
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bare"),
        &["--locked"],
        "cargo tree of tests/bare",
    );
    assert!(tree.success, "{}", tree.stderr);
    assert!(tree.stdout.contains("lambda-core v"), "{}", tree.stdout);
    let tokio: Vec<&str> = tree
        .stdout
        .lines()
        .filter(|line| line.starts_with("tokio"))
        .collect();
    assert_eq!(tokio, Vec::<&str>::new(), "{}", tree.stdout);
}

/// Builds an example of tests/bare, which must fail; returns the errors.
fn build_failing_example(name: &str) -> String {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bare");
    let built = cargo(
        &["build", "--example", name, "--message-format", "short"],
        &bare_manifest(),
        &target.clone(),
        &["--locked", "--target-dir", &target.to_string_lossy()],
        &format!("building the example {name}"),
    );
    assert!(!built.success, "{name} built:\n{}", built.stderr);
    built
        .stderr
        .lines()
        .filter(|line| line.contains("error"))
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn without_the_tokio_feature_an_async_handler_is_one_error_at_async_that_names_it() {
    assert_eq!(
        build_failing_example("async_without_tokio"),
        "examples/async_without_tokio.rs:6:1: error[E0277]: an `async fn` needs lambda-core's `tokio` feature: this is async, and lambda-core's `tokio` feature is off\n\
         error: could not compile `bare` (example \"async_without_tokio\") due to 1 previous error\n"
    );
}

#[test]
fn without_the_tokio_feature_an_async_init_is_one_error_at_its_path_that_names_it() {
    assert_eq!(
        build_failing_example("async_init_without_tokio"),
        "examples/async_init_without_tokio.rs:8:30: error[E0277]: an `async fn` needs lambda-core's `tokio` feature: this is async, and lambda-core's `tokio` feature is off\n\
         error: could not compile `bare` (example \"async_init_without_tokio\") due to 1 previous error\n"
    );
}

#[test]
fn without_the_http_feature_an_http_handler_is_one_error_that_names_it() {
    let errors = build_failing_example("http_without_feature");
    assert_eq!(
        errors,
        "examples/http_without_feature.rs:5:18: error[E0432]: unresolved import `lambda_core::http`: could not find `http` in `lambda_core`\n\
         error: could not compile `bare` (example \"http_without_feature\") due to 1 previous error\n"
    );
    // rustc's note, in the long form, names the feature.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bare");
    let long = cargo(
        &["build", "--example", "http_without_feature"],
        &bare_manifest(),
        &target,
        &["--locked", "--target-dir", &target.to_string_lossy()],
        "building the example http_without_feature",
    );
    assert!(
        long.stderr
            .contains("the item is gated behind the `http` feature"),
        "{}",
        long.stderr
    );
}
