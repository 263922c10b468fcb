//! Running cargo on a crate the workspace does not hold (its own manifest, its own target
//! directory), as a test that checks a user's build needs.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A cold build of lambda-core and its dependencies takes about a minute on 2 cores.
const BUILD_PATIENCE: Duration = Duration::from_secs(600);

/// What a cargo command printed, and whether it succeeded.
pub struct CargoOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// `cargo <command> --offline --manifest-path <manifest>` with `extra` arguments, its
/// output kept in files under `scratch`; panics naming `what` if it takes over
/// `BUILD_PATIENCE`, after stopping cargo by its PID.
pub fn cargo(
    command: &[&str],
    manifest: &Path,
    scratch: &Path,
    extra: &[&str],
    what: &str,
) -> CargoOutput {
    std::fs::create_dir_all(scratch).expect("the scratch directory");
    let name: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (stdout_path, stderr_path) = (
        scratch.join(format!("{name}.stdout")),
        scratch.join(format!("{name}.stderr")),
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut child = Command::new(cargo)
        .args(command)
        .args(["--offline", "--manifest-path"])
        .arg(manifest)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("a file for cargo's output"))
        .stderr(File::create(&stderr_path).expect("a file for cargo's errors"))
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
            panic!("{what} took over {BUILD_PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    CargoOutput {
        success: status.success(),
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    }
}

/// `cargo build --quiet` of `manifest` into `target_dir`; panics naming `what`, with
/// cargo's errors, if it fails.
pub fn cargo_build(manifest: &Path, target_dir: &Path, extra: &[&str], what: &str) {
    let target = target_dir.to_string_lossy();
    let mut arguments = vec!["--target-dir", &*target];
    arguments.extend_from_slice(extra);
    let built = cargo(
        &["build", "--quiet"],
        manifest,
        target_dir,
        &arguments,
        &format!("building {what}"),
    );
    assert!(built.success, "building {what} failed:\n{}", built.stderr);
}
