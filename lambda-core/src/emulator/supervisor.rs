//! Runs the function as a child process against the sandbox, one invocation at a time,
//! and answers as Lambda does when the function fails init, exits or overruns.

use super::http::error_json;
use super::ids;
use super::sandbox::{Answer, Event, Sandbox};
use crate::log;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The function's settings, from the variables AWS's Runtime Interface Emulator reads,
/// with its defaults.
pub(crate) struct Settings {
    /// `AWS_LAMBDA_FUNCTION_TIMEOUT`, in whole seconds from 1 to 900 (default 300).
    pub(crate) timeout_secs: u64,
    /// `AWS_LAMBDA_FUNCTION_NAME` (default: the binary's name).
    pub(crate) function_name: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (default 3008).
    pub(crate) memory_mb: String,
    /// `AWS_LAMBDA_FUNCTION_VERSION` (default `$LATEST`).
    pub(crate) version: String,
    /// `AWS_REGION` (default `us-east-1`).
    pub(crate) region: String,
}

impl Settings {
    pub(crate) fn from_env(program: &std::path::Path) -> Settings {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        let timeout_secs = match var("AWS_LAMBDA_FUNCTION_TIMEOUT") {
            None => 300,
            Some(text) => match text.trim().parse() {
                // Lambda's own limit; larger values would also overflow the deadline.
                Ok(secs @ 1..=900) => secs,
                _ => {
                    log(format_args!(
                        "AWS_LAMBDA_FUNCTION_TIMEOUT={text:?} is not a whole number of seconds from 1 to 900; using 300"
                    ));
                    300
                }
            },
        };
        let binary = program
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned());
        Settings {
            timeout_secs,
            function_name: var("AWS_LAMBDA_FUNCTION_NAME")
                .or(binary)
                .unwrap_or_else(|| "function".to_owned()),
            memory_mb: var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").unwrap_or_else(|| "3008".to_owned()),
            version: var("AWS_LAMBDA_FUNCTION_VERSION").unwrap_or_else(|| "$LATEST".to_owned()),
            region: var("AWS_REGION").unwrap_or_else(|| "us-east-1".to_owned()),
        }
    }
}

/// The answer to one invocation, as the Invoke API gives it.
pub(crate) struct Reply {
    pub(crate) request_id: String,
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: String,
    /// `X-Amz-Function-Error: Unhandled`.
    pub(crate) function_error: bool,
}

/// How an invocation ended.
struct Ended {
    body: Vec<u8>,
    content_type: String,
    function_error: bool,
    /// The function process must go (it failed init, exited or overran).
    reset: bool,
}

impl Ended {
    /// A failure that ends the function process.
    fn failed(body: Vec<u8>) -> Ended {
        Ended {
            body,
            content_type: "application/json".to_owned(),
            function_error: true,
            reset: true,
        }
    }
}

struct Process {
    child: Child,
    spawned: Instant,
    /// Whether a REPORT line has shown this process's init duration yet.
    init_reported: bool,
}

pub(crate) struct Supervisor {
    sandbox: Sandbox,
    settings: Settings,
    spawner: Spawner,
    process: Option<Process>,
}

impl Supervisor {
    /// Starts the sandbox's Runtime API and sets the environment every function process
    /// inherits.
    ///
    /// # Safety
    ///
    /// Must be called before the process starts any other thread: it calls
    /// `std::env::set_var`, which is unsound while another thread may read the
    /// environment.
    #[allow(unsafe_code)]
    pub(crate) unsafe fn start() -> std::io::Result<Supervisor> {
        let program = std::env::current_exe()?;
        let settings = Settings::from_env(&program);
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let secret = ids::secret()?;
        // SAFETY: no other thread runs yet, as this function's contract says.
        unsafe { set_function_environment(&settings, listener.local_addr()?, &secret) };
        // A connection of the function's may stay silent while its handler runs, which
        // is never longer than the timeout.
        let idle = Duration::from_secs(settings.timeout_secs.saturating_add(10));
        Ok(Supervisor {
            sandbox: Sandbox::start(listener, &secret, idle)?,
            settings,
            spawner: Spawner::start(program)?,
            process: None,
        })
    }

    /// Runs one invocation through a function process, starting one if none runs.
    pub(crate) fn invoke(&mut self, payload: Vec<u8>, client_context: Option<String>) -> Reply {
        let request_id = ids::request_id();
        lambda_line(format_args!(
            "START RequestId: {request_id} Version: {}",
            self.settings.version
        ));
        let queued = Instant::now();
        let ended = match self.ensure_process() {
            Ok(()) => self.run(&request_id, payload, client_context),
            Err(error) => Ended::failed(error_json(
                "Runtime.Unknown",
                &format!("could not start the function: {error}"),
            )),
        };
        self.report(&request_id, queued);
        if ended.reset {
            self.stop_process();
        }
        Reply {
            request_id,
            body: ended.body,
            content_type: ended.content_type,
            function_error: ended.function_error,
        }
    }

    fn ensure_process(&mut self) -> std::io::Result<()> {
        if let Some(process) = &mut self.process {
            if matches!(process.child.try_wait(), Ok(None)) {
                return Ok(());
            }
            self.stop_process();
        }
        self.sandbox.reset();
        let child = self.spawner.spawn()?;
        self.process = Some(Process {
            child,
            spawned: Instant::now(),
            init_reported: false,
        });
        Ok(())
    }

    /// Hands the event over and waits, for the timeout at most, for the answer.
    fn run(&mut self, request_id: &str, payload: Vec<u8>, client_context: Option<String>) -> Ended {
        let timeout = Duration::from_secs(self.settings.timeout_secs);
        let deadline_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|now| millis(now + timeout))
            .unwrap_or_default();
        let arn = format!(
            "arn:aws:lambda:{}:012345678912:function:{}",
            self.settings.region, self.settings.function_name
        );
        let mut headers = vec![
            ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
            ("lambda-runtime-invoked-function-arn", arn),
            ("lambda-runtime-trace-id", ids::trace_id()),
            ("lambda-runtime-invocation-id", ids::request_id()),
        ];
        if let Some(context) = client_context {
            headers.push(("lambda-runtime-client-context", context));
        }
        self.sandbox.queue(Event {
            request_id: request_id.to_owned(),
            headers,
            body: payload,
        });

        let until = Instant::now() + timeout;
        loop {
            match self.sandbox.wait(Duration::from_millis(10)) {
                Some(Ok(Answer::Response { body, content_type })) => {
                    return Ended {
                        body,
                        content_type,
                        function_error: false,
                        reset: false,
                    };
                }
                Some(Ok(Answer::Error(body))) => {
                    return Ended {
                        reset: false,
                        ..Ended::failed(body)
                    };
                }
                Some(Err(init_error)) => return Ended::failed(init_error),
                None => {}
            }
            if let Some(status) = self
                .process
                .as_mut()
                .and_then(|p| p.child.try_wait().ok().flatten())
            {
                let message =
                    format!("RequestId: {request_id} Error: Runtime exited with error: {status}");
                return Ended::failed(error_json("Runtime.ExitError", &message));
            }
            if Instant::now() >= until {
                let message = format!(
                    "RequestId: {request_id} Error: Task timed out after {}.00 seconds",
                    self.settings.timeout_secs
                );
                return Ended::failed(error_json("Sandbox.Timedout", &message));
            }
        }
    }

    /// Kills the function process (if it still runs) and reaps it; the next invocation
    /// starts a fresh one, as Lambda resets an environment.
    fn stop_process(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }

    /// Lambda's END and REPORT lines.
    fn report(&mut self, request_id: &str, queued: Instant) {
        let init_done = self.sandbox.init_done();
        let started = init_done.map_or(queued, |done| done.max(queued));
        let duration = started.elapsed();
        let (mut peak, mut init) = (String::new(), String::new());
        if let Some(process) = &mut self.process {
            if let Some(peak_mb) = peak_memory_mb(process.child.id()) {
                peak = format!("\tMax Memory Used: {peak_mb} MB");
            }
            if let (false, Some(done)) = (process.init_reported, init_done) {
                let duration = done.saturating_duration_since(process.spawned);
                init = format!("\tInit Duration: {} ms", Millis(duration));
                process.init_reported = true;
            }
        }
        lambda_line(format_args!(
            "END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {} ms\tBilled Duration: {} ms\tMemory Size: {} MB{peak}{init}",
            Millis(duration),
            micros(duration).div_ceil(1000),
            self.settings.memory_mb
        ));
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop_process();
    }
}

/// Starts function processes from one thread that lives as long as the emulator. Each
/// function process asks the kernel, first thing, to kill it when that thread ends
/// ([`end_with_emulator`](super::end_with_emulator)): so it never outlives the emulator,
/// however the emulator ends (SIGTERM, SIGHUP, SIGINT, SIGKILL, a panic or a normal
/// exit). Not from the caller's thread: `PR_SET_PDEATHSIG` fires when the *thread* that
/// started the child ends, and the Invoke endpoint answers each connection on a thread
/// of its own.
struct Spawner {
    shared: Arc<(Mutex<Spawn>, Condvar)>,
}

/// The spawner thread's one request at a time (the supervisor's lock serialises them).
#[derive(Default)]
enum Spawn {
    #[default]
    Idle,
    Asked,
    Done(std::io::Result<Child>),
}

impl Spawner {
    fn start(program: PathBuf) -> std::io::Result<Spawner> {
        let shared = Arc::new((Mutex::new(Spawn::Idle), Condvar::new()));
        let spawner = Arc::clone(&shared);
        thread::Builder::new()
            .name("lambda-emulator-spawner".to_owned())
            .spawn(move || {
                let (slot, changed) = &*spawner;
                let mut spawn = lock(slot);
                loop {
                    if matches!(*spawn, Spawn::Asked) {
                        *spawn = Spawn::Done(Command::new(&program).stdin(Stdio::null()).spawn());
                        changed.notify_all();
                    }
                    spawn = changed.wait(spawn).unwrap_or_else(|p| p.into_inner());
                }
            })?;
        Ok(Spawner { shared })
    }

    fn spawn(&self) -> std::io::Result<Child> {
        let (slot, changed) = &*self.shared;
        let mut spawn = lock(slot);
        *spawn = Spawn::Asked;
        changed.notify_all();
        loop {
            if let Spawn::Done(child) = std::mem::take(&mut *spawn) {
                return child;
            }
            *spawn = Spawn::Asked;
            spawn = changed.wait(spawn).unwrap_or_else(|p| p.into_inner());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sets what every function process inherits: the sandbox's address and secret path in
/// `AWS_LAMBDA_RUNTIME_API`, and Lambda's standard variables unless the user set them.
/// Setting them here rather than on each `Command` keeps std's per-command environment
/// map (about 12 KiB of code) out of every function binary.
///
/// # Safety
///
/// No other thread may run: `std::env::set_var` is unsound while another thread may read
/// the environment.
#[allow(unsafe_code)]
unsafe fn set_function_environment(s: &Settings, sandbox: SocketAddr, secret: &str) {
    let log_group = format!("/aws/lambda/{}", s.function_name);
    let defaults = [
        ("AWS_LAMBDA_FUNCTION_NAME", s.function_name.as_str()),
        ("AWS_LAMBDA_FUNCTION_VERSION", &s.version),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", &s.memory_mb),
        ("AWS_LAMBDA_LOG_GROUP_NAME", &log_group),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "$LATEST"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_REGION", &s.region),
        ("AWS_DEFAULT_REGION", &s.region),
    ];
    // SAFETY: no other thread runs, as this function's contract says.
    unsafe {
        std::env::set_var("AWS_LAMBDA_RUNTIME_API", format!("{sandbox}/{secret}"));
        std::env::set_var(super::EMULATOR_PID, std::process::id().to_string());
        for (name, value) in defaults {
            if std::env::var_os(name).is_none() {
                std::env::set_var(name, value);
            }
        }
    }
}

/// Writes Lambda's own log lines (START, END, REPORT) to standard error as they are, with
/// no runtime prefix. A closed standard error loses them rather than stopping the
/// emulator, as `eprintln!` would by panicking.
fn lambda_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The process's peak resident memory (`VmHWM`), in whole megabytes rounded up.
fn peak_memory_mb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.div_ceil(1024))
}

/// Milliseconds with two decimals, as Lambda prints durations (`1.73`), in integer
/// arithmetic: float formatting would add several KiB to every function binary.
struct Millis(Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hundredths = micros(self.0) / 10;
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// Whole microseconds and milliseconds as `u64` (saturating, past half a million years):
/// `Duration` gives `u128`, whose formatting and division would add over 1 KiB to every
/// function binary.
fn micros(duration: Duration) -> u64 {
    duration.as_micros().try_into().unwrap_or(u64::MAX)
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis().try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_lambda_prints_them() {
        assert_eq!(Millis(Duration::from_micros(1_734)).to_string(), "1.73");
        assert_eq!(Millis(Duration::from_micros(40)).to_string(), "0.04");
        assert_eq!(Millis(Duration::from_secs(3)).to_string(), "3000.00");
    }
}
