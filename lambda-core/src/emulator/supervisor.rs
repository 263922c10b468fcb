//! Runs the function as a child process against the sandbox and answers each invocation
//! as Lambda does when the function fails init, exits or overruns.
//!
//! Two modes, as AWS's Runtime Interface Emulator has them:
//! - by default, one invocation at a time (the others wait their turn), and a function
//!   that overruns its timeout is killed and replaced, as standard Lambda resets an
//!   environment;
//! - with `AWS_LAMBDA_MAX_CONCURRENCY` = N set (Lambda Managed Instances), up to N
//!   invocations run in the one function process at once, one more is refused as
//!   throttled, and an invocation that overruns is answered as timed out but the
//!   process is left running, as Managed Instances leave it.

use super::answers::error_json;
use super::ids;
use super::lock;
use super::log_lines::{self, millis, peak_memory_mb};
use super::pieces::{NoPiece, Piece, Receiver, StreamError};
use super::process::{Process, Spawner};
use super::sandbox::{Answer, Event, Sandbox};
use super::settings::{Settings, set_function_environment};
use crate::config::Config;
use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What a caller asks to invoke, with the values it may pass to the function.
pub(crate) struct Invoke {
    pub(crate) payload: Vec<u8>,
    /// The client context JSON, checked fit for a header.
    pub(crate) client_context: Option<String>,
    /// `X-Amz-Tenant-Id`, checked fit for a header.
    pub(crate) tenant_id: Option<String>,
}

/// The answer to one invocation, as the Invoke API gives it.
pub(crate) struct Reply {
    pub(crate) request_id: String,
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: String,
    /// `X-Amz-Function-Error: Unhandled`; for a stream, that it ended with an error.
    pub(crate) function_error: bool,
    /// The response was a stream, relayed to the caller already (`body` is empty).
    pub(crate) streamed: bool,
}

/// Where a streamed response goes as it arrives: the Invoke endpoint's caller, or
/// standard output.
pub(crate) trait Relay {
    /// The stream begins; it must be over by `until` (the invocation's timeout), and a
    /// relay's writes give up then.
    fn begin(
        &mut self,
        request_id: &str,
        content_type: &str,
        until: Instant,
    ) -> std::io::Result<()>;
    /// A chunk of it.
    fn chunk(&mut self, data: &[u8]) -> std::io::Result<()>;
    /// It ended; with the error, if the function failed after its first chunk, the
    /// stream broke off, or the invocation timed out.
    fn end(&mut self, error: Option<&StreamError>) -> std::io::Result<()>;
}

/// Why an invocation was not run.
pub(crate) enum Refused {
    /// The caller left while waiting its turn.
    CallerGone,
    /// Managed Instances mode, and all of its concurrency is in use.
    Throttled { concurrency: u32 },
}

/// How an invocation ended.
struct Ended {
    body: Vec<u8>,
    content_type: String,
    function_error: bool,
    /// The platform's word for it: `success`, `error`, `failure` or `timeout`.
    status: &'static str,
    /// The function process must go (it failed init, exited or overran in the default
    /// mode).
    reset: bool,
    /// A streamed response, not yet relayed: its content type and pieces.
    stream: Option<(String, Receiver)>,
    /// The response was a stream, relayed as it came.
    relayed: bool,
    /// The bytes of a stream relayed.
    streamed: usize,
}

impl Ended {
    /// A response, and the process goes on.
    fn succeeded() -> Ended {
        Ended {
            body: Vec::new(),
            content_type: String::new(),
            function_error: false,
            status: "success",
            reset: false,
            stream: None,
            relayed: false,
            streamed: 0,
        }
    }

    /// A failure that ends the function process.
    fn failed(body: Vec<u8>) -> Ended {
        Ended {
            body,
            content_type: "application/json".to_owned(),
            function_error: true,
            status: "failure",
            reset: true,
            stream: None,
            relayed: false,
            streamed: 0,
        }
    }
}

/// The function process, if one runs, and how the last one ended.
#[derive(Default)]
struct Current {
    process: Option<Process>,
    /// The sandbox generation the process serves.
    generation: u64,
    /// The last process to end by itself: its generation and Lambda's words for it.
    exited: Option<(u64, String)>,
}

pub(crate) struct Supervisor {
    sandbox: Sandbox,
    settings: Settings,
    spawner: Spawner,
    current: Mutex<Current>,
    /// `AWS_LAMBDA_MAX_CONCURRENCY` in Managed Instances mode; `None` in the default mode.
    concurrency: Option<u32>,
    /// The default mode's turns: one invocation at a time.
    turn: Mutex<()>,
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
        let concurrency = config.local.concurrency;
        // SAFETY: no other thread runs yet, as this function's contract says.
        unsafe {
            set_function_environment(
                &settings,
                &config.local.user_set,
                listener.local_addr()?,
                &secret,
                concurrency,
                config.logging,
            )
        };
        // A connection of the function's may stay silent while its handler runs, which
        // is never longer than the timeout.
        let idle = Duration::from_secs(settings.timeout_secs.saturating_add(10));
        let pollers = concurrency.map_or(1, |n| n as usize);
        Ok(Supervisor {
            sandbox: Sandbox::start(listener, &secret, idle, pollers)?,
            settings,
            spawner: Spawner::start(program)?,
            current: Mutex::default(),
            concurrency,
            turn: Mutex::new(()),
        })
    }

    /// Runs one invocation through the function process, starting one if none runs.
    /// `caller_gone` says whether the caller has left while it waited its turn.
    /// A streamed response goes to `relay` as it arrives.
    pub(crate) fn invoke(
        &self,
        invoke: Invoke,
        caller_gone: impl Fn() -> bool,
        relay: &mut dyn Relay,
    ) -> Result<Reply, Refused> {
        let _turn = self.concurrency.is_none().then(|| lock(&self.turn));
        if caller_gone() {
            return Err(Refused::CallerGone);
        }
        let request_id = ids::request_id();
        let event = self.event(&request_id, invoke);
        let queued = Instant::now();
        let admitted = self.admit(event);
        let ended = match admitted {
            Ok(None) => {
                return Err(Refused::Throttled {
                    concurrency: self.concurrency.unwrap_or(1),
                });
            }
            Ok(Some(generation)) => {
                log_lines::start(&request_id, &self.settings.version);
                let until = Instant::now() + Duration::from_secs(self.settings.timeout_secs);
                let mut ended = self.wait(&request_id, generation, until);
                if let Some((content_type, pieces)) = ended.stream.take() {
                    let relayed = (request_id.as_str(), content_type.as_str(), pieces);
                    ended = self.relay(relayed, generation, until, relay);
                }
                self.report(&request_id, queued, &ended);
                if ended.reset {
                    self.stop_process(generation);
                }
                ended
            }
            Err(error) => {
                log_lines::start(&request_id, &self.settings.version);
                let ended = Ended::failed(error_json(
                    "Runtime.Unknown",
                    &format!("could not start the function: {error}"),
                ));
                self.report(&request_id, queued, &ended);
                ended
            }
        };
        Ok(Reply {
            request_id,
            streamed: ended.relayed,
            body: ended.body,
            content_type: ended.content_type,
            function_error: ended.function_error,
        })
    }

    /// Queues `event` for the function process, starting one if none runs; `Ok(None)`
    /// when Managed Instances mode is full. Full of invocations that all timed out and
    /// still run, the process can never serve again (a handler that never returns
    /// keeps its slot): it is replaced, with one line, as Lambda recycles such an
    /// environment.
    fn admit(&self, event: Event) -> std::io::Result<Option<u64>> {
        let most = self.concurrency.map(|n| n as usize);
        let mut current = lock(&self.current);
        self.ensure_process(&mut current)?;
        let event = match self.sandbox.admit(event, most) {
            Ok(()) => return Ok(Some(current.generation)),
            Err(event) => event,
        };
        if !self.sandbox.all_abandoned() {
            return Ok(None);
        }
        crate::log(format_args!(
            "every invocation in the function process timed out and is still running; replacing the process"
        ));
        stop(&mut current);
        self.ensure_process(&mut current)?;
        Ok(self
            .sandbox
            .admit(event, most)
            .ok()
            .map(|()| current.generation))
    }

    /// Starts a function process if none runs (or the last one ended).
    fn ensure_process(&self, current: &mut Current) -> std::io::Result<()> {
        if let Some(process) = &mut current.process {
            match process.child.try_wait() {
                Ok(None) => return Ok(()),
                // Kept for the invocations it held, which learn of it later.
                Ok(Some(status)) => current.exited = Some((current.generation, status.to_string())),
                Err(_) => {}
            }
            stop(current);
        }
        current.generation = self.sandbox.reset();
        log_lines::init_start(&self.settings, self.concurrency.is_some());
        let child = self.spawner.spawn()?;
        current.process = Some(Process {
            child,
            spawned: Instant::now(),
            init_reported: false,
        });
        Ok(())
    }

    /// The event for `invoke`, with the headers Lambda sends on `/next`.
    fn event(&self, request_id: &str, invoke: Invoke) -> Event {
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
        ];
        if let Some(context) = invoke.client_context {
            headers.push(("lambda-runtime-client-context", context));
        }
        if let Some(tenant_id) = invoke.tenant_id {
            headers.push(("lambda-runtime-aws-tenant-id", tenant_id));
        }
        Event {
            request_id: request_id.to_owned(),
            invocation_id: ids::request_id(),
            headers,
            body: invoke.payload,
        }
    }

    /// Waits, until the invocation's timeout at most, for the answer to `request_id`,
    /// which the process of `generation` holds.
    fn wait(&self, request_id: &str, generation: u64, until: Instant) -> Ended {
        loop {
            match self
                .sandbox
                .wait(request_id, generation, Duration::from_millis(10))
            {
                Some(Ok(Answer::Response { body, content_type })) => {
                    return Ended {
                        body,
                        content_type,
                        ..Ended::succeeded()
                    };
                }
                Some(Ok(Answer::Stream {
                    content_type,
                    pieces,
                })) => {
                    return Ended {
                        stream: Some((content_type, pieces)),
                        ..Ended::succeeded()
                    };
                }
                Some(Ok(Answer::Error(body))) => {
                    return Ended {
                        status: "error",
                        reset: false,
                        ..Ended::failed(body)
                    };
                }
                Some(Err(init_error)) => return Ended::failed(init_error),
                None => {}
            }
            if let Some(status) = self.exited(generation) {
                return Ended::failed(exit_error(request_id, &status));
            }
            if Instant::now() >= until {
                let timed_out = self.timed_out(request_id);
                // A process still in init cannot serve anything: replaced in both modes.
                if self.concurrency.is_none() || self.sandbox.init_done().is_none() {
                    return timed_out;
                }
                self.sandbox.abandon(request_id);
                return Ended {
                    reset: false,
                    ..timed_out
                };
            }
        }
    }

    /// How an invocation that overran its timeout ends.
    fn timed_out(&self, request_id: &str) -> Ended {
        let message = format!(
            "RequestId: {request_id} Error: Task timed out after {}.00 seconds",
            self.settings.timeout_secs
        );
        Ended {
            status: "timeout",
            ..Ended::failed(error_json("Sandbox.Timedout", &message))
        }
    }

    /// Relays a streamed response to `relay` as its pieces arrive, until its end, the
    /// invocation's timeout, or the caller going away (the function's next write then
    /// fails). How it ended is the report's: `error` when it ended with an error.
    fn relay(
        &self,
        (request_id, content_type, pieces): (&str, &str, Receiver),
        generation: u64,
        until: Instant,
        relay: &mut dyn Relay,
    ) -> Ended {
        let mut ended = Ended {
            content_type: content_type.to_owned(),
            relayed: true,
            ..Ended::succeeded()
        };
        if relay.begin(request_id, content_type, until).is_err() {
            return ended;
        }
        let error = loop {
            let wait = until.saturating_duration_since(Instant::now());
            // Past the timeout even while pieces keep coming.
            let piece = match wait.is_zero() {
                true => Err(NoPiece::Timeout),
                false => pieces.take(wait),
            };
            let cut = match piece {
                Ok(Piece::Data(data)) => {
                    ended.streamed += data.len();
                    if relay.chunk(&data).is_err() {
                        // The caller went away, or read too slowly to take the stream
                        // before the timeout: no end to write to it.
                        let timed_out = Instant::now() >= until;
                        return Ended {
                            status: if timed_out { "timeout" } else { "error" },
                            reset: timed_out && self.concurrency.is_none(),
                            ..ended
                        };
                    }
                    continue;
                }
                Ok(Piece::End(error)) => break error,
                Ok(Piece::Cut(reason)) => reason,
                Err(NoPiece::Ended) => "the stream ended without its end",
                Err(NoPiece::Timeout) => {
                    let timed_out = self.timed_out(request_id);
                    ended.status = timed_out.status;
                    // Standard Lambda ends the environment; Managed Instances leave it.
                    ended.reset = self.concurrency.is_none();
                    break Some(stream_error("Sandbox.Timedout", &timed_out.body));
                }
            };
            // A process that ended is why its stream broke off; its socket closes a
            // moment before it can be reaped.
            let exited = (0..20).find_map(|_| {
                let exited = self.exited(generation);
                if exited.is_none() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                exited
            });
            break Some(match exited {
                Some(status) => {
                    ended.reset = true;
                    stream_error("Runtime.ExitError", &exit_error(request_id, &status))
                }
                None => stream_error(
                    "Runtime.StreamBroken",
                    &error_json("Runtime.StreamBroken", cut),
                ),
            });
        };
        if error.is_some() {
            ended.function_error = true;
            if ended.status == "success" {
                ended.status = "error";
            }
        }
        let _ = relay.end(error.as_ref());
        ended
    }

    /// How the process of `generation` ended, if it has.
    fn exited(&self, generation: u64) -> Option<String> {
        let mut current = lock(&self.current);
        if current.generation != generation || current.process.is_none() {
            return Some(match &current.exited {
                Some((exited, status)) if *exited == generation => status.clone(),
                _ => "the function process ended".to_owned(),
            });
        }
        // Left in place (reaped, its status kept by `Child`) for the REPORT line; the
        // invocation's reset stops it.
        let status = current.process.as_mut()?.child.try_wait().ok()??;
        current.exited = Some((generation, status.to_string()));
        Some(status.to_string())
    }

    /// Kills the function process of `generation` (if it still runs) and reaps it; the
    /// next invocation starts a fresh one, as Lambda resets an environment. A process
    /// started since, for other invocations, is left alone.
    fn stop_process(&self, generation: u64) {
        let mut current = lock(&self.current);
        if current.generation == generation {
            stop(&mut current);
        }
    }

    /// Lambda's END and REPORT lines, or its `platform.runtimeDone` and
    /// `platform.report` records.
    fn report(&self, request_id: &str, queued: Instant, ended: &Ended) {
        let init_done = self.sandbox.init_done();
        let started = init_done.map_or(queued, |done| done.max(queued));
        let mut report = log_lines::Report {
            request_id,
            status: ended.status,
            duration: started.elapsed(),
            produced_bytes: ended.body.len() + ended.streamed,
            memory_mb: &self.settings.memory_mb,
            peak_mb: None,
            init: None,
        };
        if let Some(process) = &mut lock(&self.current).process {
            report.peak_mb = peak_memory_mb(process.child.id());
            if let (false, Some(done)) = (process.init_reported, init_done) {
                report.init = Some(done.saturating_duration_since(process.spawned));
                process.init_reported = true;
            }
        }
        report.write();
    }
}

/// Lambda's report of a function process that exited during an invocation.
fn exit_error(request_id: &str, status: &str) -> Vec<u8> {
    let message = format!("RequestId: {request_id} Error: Runtime exited with error: {status}");
    error_json("Runtime.ExitError", &message)
}

/// A stream's error as trailers carry it: its type, and its report in base64.
fn stream_error(error_type: &str, report: &[u8]) -> StreamError {
    StreamError {
        error_type: error_type.to_owned(),
        body: crate::base64::encode(report),
    }
}

/// Kills the current process, if any, and reaps it.
fn stop(current: &mut Current) {
    if let Some(mut process) = current.process.take() {
        let _ = process.child.kill();
        let _ = process.child.wait();
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        stop(&mut lock(&self.current));
    }
}
