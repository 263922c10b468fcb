//! `async fn` handlers and init functions (the `tokio` feature): each future is driven to
//! completion on the calling thread, on one tokio runtime per process.
//!
//! The runtime loop stays blocking. The closure that the generated code hands to the
//! runtime (the [`Handler`](crate::__private::Handler) seam) calls the user's
//! `async fn` and drives the future it returns through [`Drive`], so that every execution
//! mode (the loop, N pollers, the emulator's child) serves an async handler exactly as it
//! serves a blocking one.
//!
//! The runtime is tokio's current-thread runtime, built the first time an async function
//! runs (before an async init's body, or at the first invocation of an async handler)
//! and kept for the life of the process. Current-thread because the pollers are already
//! threads: each poller's `block_on` polls its own invocation's future on its own thread,
//! and what is left to the runtime, its I/O and timer drivers and the tasks that clients
//! spawn (the AWS SDK's connection pool), is driven by whichever poller is in `block_on`
//! at the moment (tokio documents `Runtime::block_on` on a current-thread runtime as
//! callable from several threads at once). A multi-thread runtime would add worker
//! threads and its scheduler's code for no work they could take. A client built in init
//! spawns its tasks on this runtime, so it keeps working across invocations and
//! pollers; between invocations on standard Lambda the process is frozen anyway.
//!
//! A handler future still running at the invocation's deadline is dropped, and the
//! invocation is answered `Runtime.DeadlineExceeded`. On standard Lambda the deadline
//! also ends the environment, so this only decides who speaks first; on Managed
//! Instances, where a timed-out invocation is not stopped, it gives the poller back
//! instead of letting a stuck future hold it forever. A blocking handler cannot be
//! stopped that way; it keeps its poller until it returns.

use crate::{Context, Diagnostic};
use std::future::Future;

/// A future the runtime can drive: every future when the `tokio` feature is on, none
/// when it is off, which is how an `async fn` without the feature becomes one error that
/// names the feature.
#[diagnostic::on_unimplemented(
    message = "an `async fn` needs lambda-core's `tokio` feature",
    label = "this is async, and lambda-core's `tokio` feature is off",
    note = "turn it on in Cargo.toml: `lambda-core = {{ version = \"0.1\", features = [\"tokio\"] }}`"
)]
pub trait Drive: Future + Sized {
    /// Runs the future to completion: an async init.
    fn drive(self) -> Self::Output;

    /// Runs an invocation's future until it completes, or until the invocation's
    /// deadline, when it is dropped and the invocation gets the report.
    fn drive_until_deadline(self, context: &Context) -> Result<Self::Output, Diagnostic>;
}

#[cfg(feature = "tokio")]
impl<F: Future> Drive for F {
    fn drive(self) -> F::Output {
        runtime().block_on(self)
    }

    fn drive_until_deadline(self, context: &Context) -> Result<F::Output, Diagnostic> {
        // An unknown deadline (a local run, cargo-lambda's constant) never cancels.
        let Some(remaining) = context.remaining_time() else {
            return Ok(runtime().block_on(self));
        };
        runtime()
            .block_on(async {
                let deadline = tokio::time::Instant::now() + remaining;
                // `timeout_at` polls the future before the timer, so a future that is
                // ready at once is answered even past the deadline.
                tokio::time::timeout_at(deadline, self).await
            })
            .map_err(|_| deadline_exceeded(context))
    }
}

/// The report for a future dropped at its deadline.
#[cfg(feature = "tokio")]
fn deadline_exceeded(context: &Context) -> Diagnostic {
    Diagnostic::new(
        "Runtime.DeadlineExceeded",
        format!(
            "the handler was still running at the invocation's deadline ({} ms since the epoch), so its future was dropped",
            context.deadline_ms.unwrap_or_default()
        ),
    )
}

/// The process's one tokio runtime, built on first use. A runtime that cannot be built
/// (the kernel refuses an epoll instance or an eventfd) leaves nothing to serve with:
/// one line, and the process exits 1, so that Lambda starts a fresh environment.
#[cfg(feature = "tokio")]
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                crate::log_at(
                    crate::logging::Level::Fatal,
                    format_args!("cannot start the tokio runtime for the async functions: {error}"),
                );
                std::process::exit(1)
            }
        }
    })
}
