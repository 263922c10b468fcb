//! `async fn` handlers and init functions (the `tokio` feature): each future is driven to
//! completion on the thread that runs it, on one tokio runtime per process.
//!
//! The runtime loop stays blocking. The closure that the generated code hands to the
//! runtime (the [`Handler`](crate::__private::Handler) seam) calls the user's
//! `async fn` and drives the future it returns through [`Drive`], so that every execution
//! mode (the loop, N pollers, the emulator's child) serves an async handler exactly as it
//! serves a blocking one.
//!
//! The runtime is tokio's current-thread runtime, built the first time an async function
//! runs (before an async init's body, or at the first invocation of an async handler),
//! with one thread of its own, `lambda-tokio`, the only one that calls
//! `Runtime::block_on`: it holds the runtime for the life of the process and runs the
//! I/O and timer drivers and every task spawned on the runtime (the AWS SDK's connection
//! pool, for one). Each poller drives its own invocation's future with
//! `Handle::block_on`, which polls it on the poller's thread and is woken by the driver
//! thread (tokio's documented way to use a current-thread runtime from other threads).
//! So a future that blocks its thread delays only its own invocation, never the others'
//! I/O or timers, and a client built in init keeps working across invocations and
//! pollers. A multi-thread runtime would add worker threads and its work-stealing
//! scheduler for work the pollers already do. Futures need not be `Send`.
//!
//! A handler future still running at the invocation's deadline is left alone on
//! standard Lambda, which ends the environment at the deadline as it does for a blocking
//! handler; dropping it first would turn Lambda's timeout into an ordinary error and
//! keep an environment whose state the dropped future left half-done. On Managed
//! Instances, where a timed-out invocation is not stopped, a future still running
//! [`GRACE`] after its deadline is dropped and the invocation answered
//! `Runtime.DeadlineExceeded`, so that it does not hold its poller for ever; Lambda has
//! answered the caller with its own timeout by then, and the late post is answered
//! `410` (one line). A blocking handler cannot be stopped either way.

use crate::{Context, Diagnostic};
use std::future::Future;
#[cfg(feature = "tokio")]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "tokio")]
use std::time::Duration;

/// How long after its deadline a future is dropped on Managed Instances: time for
/// Lambda's own timeout to answer the caller first.
#[cfg(feature = "tokio")]
pub(crate) const GRACE: Duration = Duration::from_secs(1);

/// Whether futures are dropped past their deadline: on Managed Instances only (set by
/// the runtime before the first invocation).
#[cfg(feature = "tokio")]
static DROP_PAST_DEADLINE: AtomicBool = AtomicBool::new(false);

/// Called by the runtime before the first `/next`.
#[cfg(feature = "tokio")]
pub(crate) fn drop_past_deadline(managed_instances: bool) {
    DROP_PAST_DEADLINE.store(managed_instances, Ordering::Relaxed);
}

#[cfg(not(feature = "tokio"))]
pub(crate) fn drop_past_deadline(_: bool) {}

/// A future the runtime can drive: every future when the `tokio` feature is on, none
/// when it is off, which is how an `async fn` without the feature becomes one error that
/// names the feature.
#[diagnostic::on_unimplemented(
    message = "an `async fn` needs lambda-core's `tokio` feature",
    label = "this is async, and lambda-core's `tokio` feature is off",
    note = "turn it on in Cargo.toml: `lambda-core = {{ version = \"0.1\", features = [\"tokio\"] }}`"
)]
pub trait Drive: Future + Sized {
    /// Runs the future to completion: an async init. The error is a runtime that could
    /// not be started, reported as init's.
    fn drive(self) -> Result<Self::Output, Diagnostic>;

    /// Runs an invocation's future until it completes, or (on Managed Instances) until
    /// a second (`GRACE`) after the invocation's deadline, when it is dropped and the
    /// invocation gets the report.
    fn drive_until_deadline(self, context: &Context) -> Result<Self::Output, Diagnostic>;
}

#[cfg(feature = "tokio")]
impl<F: Future> Drive for F {
    fn drive(self) -> Result<F::Output, Diagnostic> {
        block_on(self)
    }

    fn drive_until_deadline(self, context: &Context) -> Result<F::Output, Diagnostic> {
        // An unknown deadline (a local run, cargo-lambda's constant) never drops.
        let remaining = context
            .remaining_time()
            .filter(|_| DROP_PAST_DEADLINE.load(Ordering::Relaxed));
        let Some(remaining) = remaining else {
            return block_on(self);
        };
        block_on(async {
            let deadline = tokio::time::Instant::now() + remaining + GRACE;
            // `timeout_at` polls the future before the timer, so a future that is ready
            // at once is answered even past the deadline.
            tokio::time::timeout_at(deadline, self).await
        })?
        .map_err(|_| deadline_exceeded())
    }
}

/// The report for a future dropped past its deadline.
#[cfg(feature = "tokio")]
fn deadline_exceeded() -> Diagnostic {
    Diagnostic::new(
        "Runtime.DeadlineExceeded",
        format!(
            "the handler was still running {} ms after the invocation's deadline, so its future was dropped",
            GRACE.as_millis()
        ),
    )
}

/// Runs `future` to completion on this thread, on the process's runtime.
#[cfg(feature = "tokio")]
fn block_on<F: Future>(future: F) -> Result<F::Output, Diagnostic> {
    let (runtime, driven) = runtime()?;
    Ok(if driven {
        runtime.handle().block_on(future)
    } else {
        runtime.block_on(future)
    })
}

/// The process's one tokio runtime, and whether its driver thread runs, started on first
/// use. A runtime that cannot be built (the kernel refuses an epoll instance or an
/// eventfd) is a report, given to init or to every invocation that needs it.
#[cfg(feature = "tokio")]
fn runtime() -> Result<(&'static tokio::runtime::Runtime, bool), Diagnostic> {
    static RUNTIME: std::sync::OnceLock<Result<tokio::runtime::Runtime, String>> =
        std::sync::OnceLock::new();
    static DRIVEN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let runtime = RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|error| {
            Diagnostic::new(
                "Runtime.AsyncRuntimeUnavailable",
                format!("cannot start the tokio runtime for the async functions: {error}"),
            )
        })?;
    let driven = DRIVEN.get_or_init(|| {
        let driver = std::thread::Builder::new()
            .name("lambda-tokio".to_owned())
            .spawn(move || runtime.block_on(std::future::pending::<()>()));
        // Without it each poller's `Runtime::block_on` drives the runtime in turn;
        // everything still runs, but a future that blocks its thread delays the others.
        match driver {
            Ok(_) => true,
            Err(error) => {
                crate::log(format_args!(
                    "cannot start the thread that drives the tokio runtime ({error}); the pollers drive it in turn"
                ));
                false
            }
        }
    });
    Ok((runtime, *driven))
}
