//! Runs the function as a child process against the sandbox, one invocation at a time,
//! and answers as Lambda does when the function fails init, exits or overruns.

use super::answers::error_json;
use super::ids;
use super::log_lines::{Millis, lambda_line, micros, millis, peak_memory_mb};
use super::process::{Process, Spawner};
use super::sandbox::{Answer, Event, Sandbox};
use super::settings::{Settings, set_function_environment};
use crate::config::Config;
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    pub(crate) unsafe fn start(config: &Config) -> std::io::Result<Supervisor> {
        let program = std::env::current_exe()?;
        let settings = Settings::new(config, &program);
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let secret = ids::secret()?;
        // SAFETY: no other thread runs yet, as this function's contract says.
        unsafe {
            set_function_environment(
                &settings,
                &config.local.user_set,
                listener.local_addr()?,
                &secret,
            )
        };
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
