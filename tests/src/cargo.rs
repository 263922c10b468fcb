//! Building a crate the workspace does not hold (its own manifest, its own target
//! directory), as a test that checks a user's build needs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A cold build of lambda-core and its dependencies takes about a minute on 2 cores.
const BUILD_PATIENCE: Duration = Duration::from_secs(600);

/// `cargo build --quiet --offline` of `manifest` into `target_dir`, with `extra`
/// arguments; panics naming `what` if it fails or takes over `BUILD_PATIENCE`, after
/// stopping cargo by its PID.
pub fn cargo_build(manifest: &Path, target_dir: &Path, extra: &[&str], what: &str) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut child = Command::new(cargo)
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .args(extra)
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
            panic!("building {what} took over {BUILD_PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "building {what} failed");
}
