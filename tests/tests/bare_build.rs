//! A function built with the default features (no `log`, no `tracing`) and `panic = "abort"`
//! (tests/bare): it compiles, writes today's text lines, and warns about the abort.
//! Built on its own manifest: in the workspace, feature unification would turn the
//! features back on.

use lambda_tests::{Event, MockRuntimeApi, cargo_build, posts};
use std::path::Path;

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
