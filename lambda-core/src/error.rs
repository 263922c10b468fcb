//! The boxed error users return, and why the runtime itself stops.

use std::fmt;

/// Any error, boxed: what a handler or `init` function may return when it does not care
/// to name its error type.
///
/// `?` converts every `std::error::Error + Send + Sync` (and `String`, `&str`) into it,
/// as with `lambda_runtime::Error`. The report names the boxed error's type where the
/// runtime can know it (`IoError`, `ParseIntError`, …; see
/// [`Diagnose`](crate::Diagnose)), and `Error` otherwise.
///
/// ```no_run
/// # #![allow(dead_code)] // rustdoc wraps this in a `main` of its own
/// #[lambda_core::lambda]
/// fn handler(event: String) -> Result<u64, lambda_core::Error> {
///     let contents = std::fs::read_to_string(&event)?;
///     Ok(contents.trim().parse::<u64>()?)
/// }
/// ```
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A failure of the runtime (not of the handler) that ends the process.
///
/// Handler errors never show up here: they become error reports (see
/// [`Diagnostic`](crate::Diagnostic)) and the runtime goes on with the next event.
#[derive(Debug)]
pub(crate) enum RuntimeError {
    /// `AWS_LAMBDA_RUNTIME_API` holds something that is not an HTTP address.
    InvalidRuntimeApi {
        /// The variable's value, with any credentials in it masked.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The Runtime API could not be reached, or dropped the connection, and retrying for
    /// a bounded time did not help.
    Unreachable {
        /// The URL that was requested.
        url: String,
        /// The transport error, as text.
        detail: String,
    },
    /// The Runtime API answered with a status that the contract says ends the runtime
    /// (`500` from any endpoint), or that leaves it nothing sensible to do.
    Status {
        /// The endpoint, such as `/runtime/invocation/next`.
        endpoint: &'static str,
        /// The HTTP status.
        status: u16,
    },
    /// The Runtime API kept sending answers to `/next` that cannot be read.
    Unreadable {
        /// How many in a row.
        count: usize,
        /// Why the last one could not be read.
        detail: String,
    },
    /// The Extensions API accepted the shutdown hook's registration but gave it no
    /// `Lambda-Extension-Identifier`, without which it cannot wait for events.
    NoExtensionIdentifier {
        /// The status of the answer.
        status: u16,
    },
    /// The shutdown hook could not be set up (a helper thread could not start).
    ShutdownHook {
        /// What went wrong, as text.
        detail: String,
    },
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::InvalidRuntimeApi { value, reason } => {
                write!(
                    f,
                    "AWS_LAMBDA_RUNTIME_API={value:?} is not usable: {reason}"
                )
            }
            RuntimeError::Unreachable { url, detail } => {
                write!(f, "the Runtime API at {url} is unreachable: {detail}")
            }
            RuntimeError::Status { endpoint, status } => {
                write!(
                    f,
                    "the Runtime API answered {endpoint} with status {status}"
                )
            }
            RuntimeError::Unreadable { count, detail } => write!(
                f,
                "the Runtime API sent {count} answers to /runtime/invocation/next in a row that cannot be read; the last: {detail}"
            ),
            RuntimeError::NoExtensionIdentifier { status } => write!(
                f,
                "the Extensions API answered /extension/register with status {status} but no Lambda-Extension-Identifier header"
            ),
            RuntimeError::ShutdownHook { detail } => write!(f, "the shutdown hook: {detail}"),
        }
    }
}
