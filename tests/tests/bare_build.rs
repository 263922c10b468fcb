//! A function built with the default features (no `log`, no `tracing`) and `panic = "abort"`
//! (tests/bare): it compiles, writes today's text lines, and warns about the abort.
//! Built on its own manifest: in the workspace, feature unification would turn the
//! features back on.

use lambda_tests::{Event, MockRuntimeApi, posts};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A cold build of lambda-core and its dependencies takes about a minute on 2 cores.
const BUILD_PATIENCE: Duration = Duration::from_secs(600);

fn build() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target/bare");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut child = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--locked",
            "--offline",
            "--manifest-path",
        ])
        .arg(root.join("tests/bare/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .stdin(Stdio::null())
        .spawn()
        .expect("cargo starts");
    let deadline = Instant::now() + BUILD_PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("cargo's status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("building tests/bare took over {BUILD_PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "building tests/bare failed");
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
