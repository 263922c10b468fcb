//! The invocation loop against the Lambda Runtime API.

use crate::client::{Client, Next, Posted};
use crate::config::{Config, RuntimeApi};
use crate::context::{self, Unanswerable};
use crate::error::RuntimeError as Error;
use crate::handler::{Handler, Outcome};
use crate::invoke;
use crate::logging::{self, Level};
use crate::pollers::Pollers;
use crate::stream::Finished;
use crate::streamed_post::StreamedPost;
use crate::{Context, Diagnostic, ResponseStream, log, log_at};
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

/// Runs `init` once, then serves events until the Runtime API says to stop, with the
/// pollers that `pollers` allows (see [`crate::pollers`]).
///
/// Returns failure when init fails (after reporting it) or when the Runtime API becomes
/// unusable; it never returns success, as Lambda ends the process from outside.
pub(crate) fn run<S, H: Handler<S>>(
    config: &Config,
    runtime_api: &RuntimeApi,
    init: impl FnOnce() -> Result<S, Diagnostic>,
    shutdown: Option<fn()>,
    pollers: impl Pollers<S, H>,
    handler: H,
) -> ExitCode {
    // Before any thread exists (init may start some), so that every thread inherits it.
    if shutdown.is_some() {
        if let Err(error) = crate::signal::block_sigterm() {
            log_at(
                Level::Fatal,
                format_args!("cannot block SIGTERM for the shutdown hook: {error}"),
            );
            return ExitCode::FAILURE;
        }
    }
    // `cfg(panic)` is the profile's: cargo builds every crate of a binary with it.
    if cfg!(panic = "abort") {
        log(format_args!(
            "this binary was built with panic = \"abort\": a panic ends the process, and Lambda reports Runtime.ExitError instead of Runtime.Panic; set panic = \"unwind\" in the release profile"
        ));
    }
    let mut client = match Client::new(runtime_api) {
        Ok(client) => client,
        Err(error) => return fatal(&error),
    };
    // Async handlers' futures are dropped past their deadline only where Lambda does
    // not stop a timed-out invocation (see async_runtime.rs).
    crate::async_runtime::drop_past_deadline(config.managed_instances);

    // Init ends with the first `/next`, so a failing init can still be reported.
    let state = match invoke::init(init) {
        Ok(state) => state,
        Err(report) => {
            // Written before the report: Lambda (and the emulator) may end the process
            // as soon as the report arrives.
            logging::report_line(Level::Fatal, "init failed", &report);
            if let Err(error) = client.report_init_error(&report) {
                log_at(
                    Level::Fatal,
                    format_args!("could not report the init error: {error}"),
                );
            }
            return ExitCode::FAILURE;
        }
    };

    // Extensions register before the first `/next`, which ends Lambda's init phase.
    if let Some(hook) = shutdown {
        if let Err(error) = crate::shutdown::start(&mut client, runtime_api, hook) {
            return fatal(&error);
        }
    }
    install_facades();

    pollers.serve(Serving {
        config,
        runtime_api,
        client,
        state: &state,
        handler: &handler,
    })
}

/// Installs the facades' loggers that are compiled in, each unless the user's `init`
/// installed one of its own. Called after `init`, so that the user's usual one-liner
/// there (`env_logger::init()`, `tracing_subscriber::fmt().init()`) never finds ours in
/// its way and panics; records written during `init` go to the user's logger, or
/// nowhere if there is none yet.
fn install_facades() {
    #[cfg(feature = "log")]
    crate::log_records::install();
    #[cfg(feature = "tracing")]
    crate::tracing_events::install();
}

/// Everything a poller needs, once init has succeeded: what [`Pollers`] serves with.
pub struct Serving<'a, S, H> {
    config: &'a Config,
    runtime_api: &'a RuntimeApi,
    client: Client,
    state: &'a S,
    handler: &'a H,
}

impl<S, H: Handler<S>> Serving<'_, S, H> {
    /// How many pollers `AWS_LAMBDA_MAX_CONCURRENCY` asks for.
    pub(crate) fn concurrency(&self) -> u32 {
        self.config.concurrency
    }

    /// One poller, on the calling thread: standard Lambda, and Managed Instances with a
    /// state that cannot be shared.
    pub(crate) fn on_this_thread(self) -> ExitCode {
        let Serving {
            config,
            mut client,
            state,
            handler,
            ..
        } = self;
        match serve(&mut client, config, state, handler, TraceEnv::Set) {
            Ok(never) => match never {},
            Err(error) => fatal(&error),
        }
    }

    /// `AWS_LAMBDA_MAX_CONCURRENCY` pollers, each on a connection of its own, sharing the
    /// handler and the state: this thread and N - 1 more. The first poller whose Runtime
    /// API fails ends the process: the others may be parked in `/next` for as long as
    /// Lambda likes, and the invocations they are serving are abandoned, as the contract
    /// allows (Lambda answers them).
    pub(crate) fn on_threads(self) -> ExitCode
    where
        S: Sync,
    {
        let Serving {
            config,
            runtime_api,
            client,
            state,
            handler,
        } = self;
        let poller = |number: u32, mut client: Client| -> ! {
            // A panic here is a bug in the runtime (the handler's are caught); it must
            // not take a poller away without a word.
            let served = panic::catch_unwind(AssertUnwindSafe(|| {
                serve(&mut client, config, state, handler, TraceEnv::Leave)
            }));
            match served {
                Ok(Ok(never)) => match never {},
                Ok(Err(error)) => log_at(Level::Fatal, format_args!("{error}")),
                Err(_) => log_at(Level::Fatal, format_args!("poller {number} panicked")),
            }
            // Not a return: the others would wait in `/next`, and the scope for them.
            std::process::exit(1)
        };
        thread::scope(|scope| {
            for number in 2..=config.concurrency {
                let client = match Client::new(runtime_api) {
                    Ok(client) => client,
                    Err(error) => {
                        log_at(Level::Fatal, format_args!("{error}"));
                        std::process::exit(1)
                    }
                };
                let spawned = thread::Builder::new()
                    .name(format!("lambda-poller-{number}"))
                    .spawn_scoped(scope, move || poller(number, client));
                if let Err(error) = spawned {
                    log_at(
                        Level::Fatal,
                        format_args!(
                            "cannot start poller {number} of {}: {error}",
                            config.concurrency
                        ),
                    );
                    std::process::exit(1)
                }
            }
            poller(1, client)
        })
    }
}

/// Whether a poller exposes each invocation's trace id in `_X_AMZN_TRACE_ID`, as the
/// official runtimes do when they serve one invocation at a time. With several pollers
/// the variable would be shared by invocations in flight at once, and setting it while
/// other threads run is unsound; the trace id is then in `Context` only.
#[derive(Clone, Copy)]
enum TraceEnv {
    Set,
    Leave,
}

/// Names a loop that only ends with an error.
enum Never {}

/// One poller: `/next`, decode, call, encode, post, until the Runtime API fails.
fn serve<S>(
    client: &mut Client,
    config: &Config,
    state: &S,
    handler: &impl Handler<S>,
    trace_env: TraceEnv,
) -> Result<Never, Error> {
    // After this many unreadable answers in a row the Runtime API is not one this
    // runtime can talk to: exit, so that Lambda starts a fresh environment.
    const MOST_UNREADABLE: usize = 10;
    let mut idle_pause = IdlePause::default();
    let mut unreadable_in_a_row = 0;
    // Reused from one invocation to the next, as their capacity is.
    let (mut event, mut response) = (Vec::new(), Vec::new());
    loop {
        // 1. Wait for the next event, for as long as it takes.
        let (headers, unreadable) = match client.next(&mut event)? {
            Next::Event {
                headers,
                unreadable,
            } => (headers, unreadable),
            Next::Idle => {
                idle_pause.wait();
                continue;
            }
            Next::Unreadable(detail) => {
                // The HTTP client keeps no part of a head it refuses, so the request id
                // of the event it may have carried is not known.
                unreadable_in_a_row += 1;
                if unreadable_in_a_row >= MOST_UNREADABLE {
                    return Err(Error::Unreadable {
                        count: unreadable_in_a_row,
                        detail,
                    });
                }
                log(format_args!(
                    "dropped an answer to /next that cannot be read (an event in it is lost): {detail}"
                ));
                continue;
            }
        };
        idle_pause.reset();
        unreadable_in_a_row = 0;

        // 2. Read the context; an id that cannot go into a URL cannot be answered.
        let header = |name: &str| headers.get(name).map(|value| value.as_bytes());
        let parsed = match context::parse(header, &config.function) {
            Ok(parsed)
                if !client.can_answer(
                    &parsed.context.request_id,
                    parsed.context.invocation_id.as_deref(),
                ) =>
            {
                skip(&Unanswerable::TooLong(parsed.context.request_id));
                continue;
            }
            Ok(parsed) => parsed,
            Err(unanswerable) => {
                skip(&unanswerable);
                continue;
            }
        };
        // Every line until the answer is posted carries the invocation's ids.
        let _invocation = logging::Invocation::enter(
            &parsed.context.request_id,
            parsed.context.tenant_id.as_deref(),
        );
        for warning in &parsed.warnings {
            log(format_args!("{}: {warning}", parsed.context.request_id));
        }
        let context = parsed.context;

        // 3. Expose the trace id to code that reads it from the environment.
        if let TraceEnv::Set = trace_env {
            set_trace_env(context.xray_trace_id.as_deref());
        }

        // 4. Decode, call, encode (or stream): the same path a local run takes.
        let id = &context.request_id;
        let invocation_id = context.invocation_id.as_deref();
        let mut post = StreamedPost::new(client, id, invocation_id, context.deadline());
        let mut out = ResponseStream::new(&mut response, &mut post);
        let outcome = match unreadable {
            None => invoke::invoke(handler, &event, &context, state, &mut out),
            Some(detail) => Outcome::Error(Diagnostic::new("Runtime.InvalidEvent", detail)),
        };

        // 5. Answer exactly once: end the stream, or post the answer. An error is a line
        // too, but for a stream cut off, whose line says why (the handler's error is
        // then only the write that failed).
        match out.finish(outcome) {
            Finished::Buffered(outcome) => answer(client, &context, &outcome, &response)?,
            Finished::Streamed(status, error) => {
                if let Some(report) = &error {
                    logging::report_line(Level::Error, id, report);
                }
                match status {
                    200..=299 => {}
                    500..=599 => {
                        return Err(Error::Status {
                            endpoint: "/runtime/invocation/response",
                            status,
                        });
                    }
                    status => refused(id, status),
                }
            }
            // One line, with the handler's own error if it returned one.
            Finished::Broken(detail, error) => {
                let (then, report) = match &error {
                    Some(report) => ("; the handler returned ", report.to_string()),
                    None => ("", String::new()),
                };
                log(format_args!(
                    "{id}: the streamed response was cut off (the caller went away, or the service took no more): {detail}{then}{report}"
                ));
            }
        }
    }
}

fn answer(
    client: &mut Client,
    context: &Context,
    outcome: &Outcome,
    response: &[u8],
) -> Result<(), Error> {
    let id = &context.request_id;
    let invocation_id = context.invocation_id.as_deref();
    let posted = match outcome {
        Outcome::Response => client.respond(id, invocation_id, response)?,
        Outcome::Error(report) => {
            logging::report_line(Level::Error, id, report);
            client.report_error(id, invocation_id, report)?
        }
    };
    match posted {
        Posted::Accepted => {}
        Posted::AcceptedOnRetry => log(format_args!("{id}: the answer was delivered on a retry")),
        Posted::Rejected(status) => refused(id, status),
    }
    Ok(())
}

/// The line for an answer the Runtime API refused: not a reason to stop.
fn refused(id: &str, status: u16) {
    match status {
        // A stale `Lambda-Runtime-Invocation-Id`: the invocation timed out, or another
        // answer was taken.
        410 => log(format_args!(
            "{id}: the Runtime API answered 410 Gone: the invocation is no longer current (it timed out, or was answered already)"
        )),
        // Lambda has already told the caller the response was too large.
        413 => log(format_args!(
            "{id}: the Runtime API refused the answer as too large (413)"
        )),
        status => log(format_args!(
            "{id}: the Runtime API refused the answer with status {status}"
        )),
    }
}

fn skip(unanswerable: &Unanswerable) {
    log(format_args!(
        "skipped an event that cannot be answered: {unanswerable}"
    ));
}

fn fatal(error: &Error) -> ExitCode {
    log_at(Level::Fatal, format_args!("{error}"));
    ExitCode::FAILURE
}

/// Official runtimes set `_X_AMZN_TRACE_ID` to each invocation's trace header and remove
/// it when the header is absent, so that the AWS SDKs and X-Ray pick it up.
#[allow(unsafe_code)]
fn set_trace_env(trace_id: Option<&str>) {
    const NAME: &str = "_X_AMZN_TRACE_ID";
    // SAFETY: this runs only with one poller (`TraceEnv::Set`), on the one thread that
    // serves invocations, between them, and no
    // thread of the runtime reads the environment: the shutdown hook's helpers are
    // parked, one in a socket read, one in `sigwait`, and the hook runs only on
    // SIGTERM, which Lambda sends when it sends no more events (this thread is then
    // parked in `/next`). A thread the user spawned that reads the environment while
    // this runs is the one hazard; docs/GUARANTEES.md says to read `Context::xray_trace_id`
    // from such threads instead.
    unsafe {
        match trace_id {
            Some(trace_id) => std::env::set_var(NAME, trace_id),
            None => std::env::remove_var(NAME),
        }
    }
}

/// The pause between `/next` polls answered `204`: emulators answer at once when idle,
/// and polling again at once would burn a core.
struct IdlePause(Duration);

impl IdlePause {
    const FIRST: Duration = Duration::from_millis(5);
    const LONGEST: Duration = Duration::from_millis(100);

    fn wait(&mut self) {
        thread::sleep(self.0);
        self.0 = (self.0 * 2).min(Self::LONGEST);
    }

    fn reset(&mut self) {
        self.0 = Self::FIRST;
    }
}

impl Default for IdlePause {
    fn default() -> IdlePause {
        IdlePause(Self::FIRST)
    }
}
