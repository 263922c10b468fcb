//! Why the runtime itself stopped.

use std::fmt;

/// A failure of the runtime (not of the handler) that ends the process.
///
/// Handler errors never show up here: they become error reports (see
/// [`Diagnostic`](crate::Diagnostic)) and the runtime goes on with the next event.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `AWS_LAMBDA_RUNTIME_API` holds something that is not an HTTP address.
    InvalidRuntimeApi {
        /// The variable's value.
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
    /// The answer to `/next` could not be read: a body over the payload limit, a broken
    /// chunked encoding or a connection that closed early.
    InvalidEvent {
        /// What went wrong, as text.
        detail: String,
    },
    /// The shutdown hook could not be set up (a helper thread could not start).
    ShutdownHook {
        /// What went wrong, as text.
        detail: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRuntimeApi { value, reason } => {
                write!(
                    f,
                    "AWS_LAMBDA_RUNTIME_API={value:?} is not usable: {reason}"
                )
            }
            Error::Unreachable { url, detail } => {
                write!(f, "the Runtime API at {url} is unreachable: {detail}")
            }
            Error::Status { endpoint, status } => {
                write!(
                    f,
                    "the Runtime API answered {endpoint} with status {status}"
                )
            }
            Error::InvalidEvent { detail } => write!(f, "could not read the next event: {detail}"),
            Error::ShutdownHook { detail } => write!(f, "the shutdown hook: {detail}"),
        }
    }
}

impl std::error::Error for Error {}
