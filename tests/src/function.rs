//! A function binary running as a child process, stopped by its own PID.

use crate::PATIENCE;
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A running function. Dropping it kills the process if it still runs.
pub struct Function {
    child: Child,
    stdout: Collector,
    stderr: Collector,
}

/// How a function ended and what it printed.
#[derive(Debug)]
pub struct Output {
    /// `None` when the test stopped it.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }

    pub fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

impl Function {
    /// Starts `binary` with only the given environment (nothing inherited), so the test
    /// decides every variable the runtime reads.
    pub fn start(binary: &str, env: &[(&str, &str)]) -> Function {
        Function::start_with_stdin(binary, env, None)
    }

    /// Starts it with arguments, such as `--serve`.
    pub fn start_with_args(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Function {
        Function::spawn(binary, args, env, None)
    }

    /// Starts it against a Runtime API at `address`.
    pub fn against(binary: &str, address: &str, env: &[(&str, &str)]) -> Function {
        let mut all = vec![("AWS_LAMBDA_RUNTIME_API", address)];
        all.extend_from_slice(env);
        Function::start(binary, &all)
    }

    /// Runs it with `input` on standard input and no Runtime API, and waits for it.
    pub fn run_with_stdin(binary: &str, env: &[(&str, &str)], input: &str) -> Output {
        Function::start_with_stdin(binary, env, Some(input)).wait()
    }

    fn start_with_stdin(binary: &str, env: &[(&str, &str)], input: Option<&str>) -> Function {
        Function::spawn(binary, &[], env, input)
    }

    fn spawn(binary: &str, args: &[&str], env: &[(&str, &str)], input: Option<&str>) -> Function {
        let mut command = Command::new(binary);
        command
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("start {binary}: {error}"));
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            let input = input.to_owned();
            // Written from a thread so a full pipe cannot block the test.
            thread::spawn(move || {
                let _ = stdin.write_all(input.as_bytes());
            });
        }
        let stdout = Collector::new(child.stdout.take());
        let stderr = Collector::new(child.stderr.take());
        Function {
            child,
            stdout,
            stderr,
        }
    }

    /// The exit status, if the process has exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The process id, to send it a signal.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself; panics after [`PATIENCE`].
    pub fn wait(mut self) -> Output {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return self.output(Some(status));
            }
            if Instant::now() > deadline {
                let output = self.stop();
                panic!("the function did not exit; it printed {output:#?}");
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until standard error holds a line for which `found` is true, and returns
    /// that line; panics after [`PATIENCE`].
    pub fn wait_for_stderr_line(&self, found: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let text = self.stderr.snapshot();
            // Only whole lines: a line may arrive in several writes.
            let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
            if let Some(line) = whole.lines().find(|line| found(line)) {
                return line.to_owned();
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("no such line on standard error: {}", self.stderr.snapshot());
    }

    /// Waits until standard error holds `count` lines for which `found` is true, and
    /// returns them; panics after [`PATIENCE`].
    pub fn wait_for_stderr_lines(&self, count: usize, found: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let text = self.stderr.snapshot();
            let whole = &text[..text.rfind('\n').map_or(0, |end| end + 1)];
            let lines: Vec<String> = whole
                .lines()
                .filter(|line| found(line))
                .map(str::to_owned)
                .collect();
            if lines.len() >= count {
                return lines;
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "fewer than {count} such lines on standard error: {}",
            self.stderr.snapshot()
        );
    }

    /// Stops the process and the processes it started (it serves forever when all goes
    /// well), each by its PID.
    pub fn stop(mut self) -> Output {
        if let Ok(Some(status)) = self.child.try_wait() {
            return self.output(Some(status));
        }
        kill_tree(&mut self.child);
        self.output(None)
    }

    fn output(&mut self, status: Option<ExitStatus>) -> Output {
        Output {
            status,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
        }
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            kill_tree(&mut self.child);
        }
    }
}

/// The processes `pid` started, by PID.
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .flat_map(|task| {
            let text = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            text.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// Whether process `pid` still runs (a zombie, dead and not yet reaped, does not).
pub fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or_default().trim_start();
        !state.starts_with('Z') && !state.starts_with('X')
    })
}

/// Kills `child` and then the processes it started, each by its PID, and reaps `child`.
fn kill_tree(child: &mut Child) {
    let descendants = descendants(child.id());
    let _ = child.kill();
    let _ = child.wait();
    for pid in descendants {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

/// The PIDs of the processes `pid` started, and theirs, from Linux's
/// `/proc/<pid>/task/<tid>/children`.
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut pending = vec![pid];
    while let Some(parent) = pending.pop() {
        if found.len() > 1000 {
            break;
        }
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{parent}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children
                .split_whitespace()
                .filter_map(|pid| pid.parse().ok())
            {
                found.push(child);
                pending.push(child);
            }
        }
    }
    found
}

/// Reads a pipe to its end on a thread, so the child never blocks on a full pipe.
struct Collector {
    text: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Collector {
    fn new(pipe: Option<impl Read + Send + 'static>) -> Collector {
        let text = Arc::new(Mutex::new(Vec::new()));
        let reader = pipe.map(|mut pipe| {
            let text = Arc::clone(&text);
            thread::spawn(move || {
                let mut chunk = [0; 8192];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    text.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend_from_slice(&chunk[..n]);
                }
            })
        });
        Collector { text, reader }
    }

    /// What was printed so far.
    fn snapshot(&self) -> String {
        String::from_utf8_lossy(&self.text.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// All that was printed, once the pipe has closed (the process has exited).
    fn text(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        String::from_utf8_lossy(&self.text.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}
