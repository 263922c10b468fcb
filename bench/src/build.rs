//! Builds every peer from its own manifest (`bench/peers/*`), into `target/bench/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const MUSL: &str = "x86_64-unknown-linux-musl";
pub const GNU: &str = "x86_64-unknown-linux-gnu";

/// Where things are: the repository root and the build directory of the benchmark.
pub struct Paths {
    pub peers: PathBuf,
    pub out: PathBuf,
}

impl Paths {
    pub fn new() -> Paths {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        Paths {
            peers: root.join("bench/peers"),
            out: root.join("target/bench"),
        }
    }
}

/// One build: a peer's crate, for a target and profile, with extra cargo arguments.
pub struct Build<'a> {
    pub peer: &'a str,
    pub target: &'a str,
    pub profile: &'a str,
    pub extra: &'a [&'a str],
    /// A name for its target directory, so that builds with other features do not
    /// overwrite each other.
    pub dir: &'a str,
}

impl Build<'_> {
    /// Builds and returns the path of binary `bin`.
    pub fn run(&self, paths: &Paths, bin: &str) -> Result<PathBuf, String> {
        let target_dir = paths.out.join(self.dir);
        let manifest = paths.peers.join(self.peer).join("Cargo.toml");
        let status = Command::new("cargo")
            .args([
                "build",
                "--quiet",
                "--locked",
                "--profile",
                self.profile,
                "--target",
                self.target,
                "--manifest-path",
            ])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target_dir)
            .args(self.extra)
            .status()
            .map_err(|error| format!("cargo: {error}"))?;
        if !status.success() {
            return Err(format!("building {} failed", manifest.display()));
        }
        let binary = target_dir.join(self.target).join(self.profile).join(bin);
        if binary.is_file() {
            Ok(binary)
        } else {
            Err(format!("no binary at {}", binary.display()))
        }
    }
}

/// The peers of an earlier `commit` of this repository (`git archive`, unpacked once under
/// `target/bench`), to measure a change against the version before it in the same run.
pub fn peers_at(commit: &str, paths: &Paths) -> Result<Paths, String> {
    let tree = paths.out.join(format!("tree-{commit}"));
    if !tree.join("Cargo.toml").is_file() {
        std::fs::create_dir_all(&tree).map_err(|error| error.to_string())?;
        let archive = Command::new("git")
            .args(["archive", "--format=tar", commit])
            .current_dir(paths.peers.join("../.."))
            .output()
            .map_err(|error| format!("git: {error}"))?;
        if !archive.status.success() {
            return Err(format!(
                "git archive {commit} failed: is this a clone with history?"
            ));
        }
        let mut tar = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&tree)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|error| format!("tar: {error}"))?;
        use std::io::Write;
        let written = tar
            .stdin
            .take()
            .map(|mut stdin| stdin.write_all(&archive.stdout));
        let untarred = tar.wait().map_err(|error| format!("tar: {error}"))?;
        if !untarred.success() || !matches!(written, Some(Ok(()))) {
            return Err(format!("unpacking {commit} failed"));
        }
    }
    Ok(Paths {
        peers: tree.join("bench/peers"),
        out: paths.out.clone(),
    })
}

/// The size of the binary once stripped (a copy is stripped; the original is kept).
pub fn stripped_size(binary: &Path, paths: &Paths) -> Result<u64, String> {
    let copy = paths.out.join("stripped");
    std::fs::copy(binary, &copy).map_err(|error| format!("copy {}: {error}", binary.display()))?;
    let status = Command::new("strip")
        .arg(&copy)
        .status()
        .map_err(|error| format!("strip: {error}"))?;
    if !status.success() {
        return Err(format!("strip {} failed", binary.display()));
    }
    std::fs::metadata(&copy)
        .map(|meta| meta.len())
        .map_err(|error| error.to_string())
}

/// A release build of `bin` from an empty target directory: how many crates it compiled
/// and how long it took. Dependencies are fetched first, so downloads do not count.
pub fn clean_build(peer: &str, bin: &str, paths: &Paths) -> Result<(usize, Duration), String> {
    let manifest = paths.peers.join(peer).join("Cargo.toml");
    let fetched = Command::new("cargo")
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(&manifest)
        .status();
    if !fetched.is_ok_and(|status| status.success()) {
        return Err(format!("cargo fetch for {peer} failed"));
    }
    let target_dir = paths.out.join(format!("clean-{peer}"));
    let _ = std::fs::remove_dir_all(&target_dir);
    let started = Instant::now();
    let output = Command::new("cargo")
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            MUSL,
            "--bin",
            bin,
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .stdout(Stdio::null())
        .output()
        .map_err(|error| format!("cargo: {error}"))?;
    let took = started.elapsed();
    let _ = std::fs::remove_dir_all(&target_dir);
    if !output.status.success() {
        return Err(format!("clean build of {peer} failed"));
    }
    let crates = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling "))
        .count();
    Ok((crates, took))
}
