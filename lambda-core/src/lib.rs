//! A small, blocking runtime for AWS Lambda functions written in Rust.
//!
//! Write a plain function, put [`#[lambda]`](macro@lambda) on it, and the crate generates
//! the `main` of a `bootstrap` binary for the `provided.al2023` runtime:
//!
//! ```no_run
//! # #![allow(dead_code)] // rustdoc wraps this in a `main` of its own
//! use lambda_core::{lambda, Context};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Order {
//!     id: u64,
//! }
//!
//! #[derive(Serialize)]
//! struct Receipt {
//!     order: u64,
//!     request: String,
//! }
//!
//! #[lambda]
//! fn handler(event: Order, ctx: Context) -> Result<Receipt, std::io::Error> {
//!     Ok(Receipt { order: event.id, request: ctx.request_id })
//! }
//! ```
//!
//! The function stays as written, so unit tests call it directly. The generated `main`
//! polls the Runtime API for the next event, decodes it, calls the function with panics
//! caught, and posts the response or a well-formed error report, one invocation at a
//! time on the main thread. Without `AWS_LAMBDA_RUNTIME_API` in the environment the
//! binary is its own emulator (the default `emulator` feature): it serves the Invoke
//! endpoint of AWS's Runtime Interface Emulator, or reads events from standard input.
//!
//! How errors are reported is decided by [`Diagnose`] and [`Diagnostic`].
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod async_runtime;
mod base64;
mod cli;
mod client;
mod codec;
mod config;
mod connection;
mod context;
mod diagnostic;
#[cfg(feature = "emulator")]
mod emulator;
mod entry;
mod error;
mod handler;
#[cfg(feature = "http")]
pub mod http;
mod http_form;
mod init;
mod invoke;
#[cfg(feature = "log")]
mod log_records;
mod logging;
mod pollers;
mod report;
mod runtime;
mod shutdown;
mod signal;
mod stream;
mod streamed_post;
#[cfg(feature = "tracing")]
mod tracing_events;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use config::FunctionInfo;
pub use context::{CognitoIdentity, Context};
pub use diagnostic::{Diagnose, Diagnostic, ErrorValue};
pub use error::Error;
pub use stream::ResponseStream;

/// Turns a plain function into the `main` of an AWS Lambda custom runtime.
///
/// The accepted forms, with `T: serde::de::DeserializeOwned` and `U: serde::Serialize`:
///
/// - `fn handler(event: T) -> U`
/// - `fn handler(event: T, ctx: Context) -> U` or `ctx: &Context`
/// - any of these returning `Result<U, E>` (any type whose last path segment is
///   `Result`, such as `io::Result<U>`), where `E` implements `Display`; see [`Diagnose`]
///   for how `E` becomes the error report
/// - any of these as an `async fn`, with this crate's `tokio` feature: the future is
///   driven to completion on one tokio current-thread runtime per process; on Lambda
///   Managed Instances a future still running 1 s past its deadline is dropped and the
///   invocation answered `Runtime.DeadlineExceeded`. Without the feature, `async` is a
///   compile error that names it.
///
/// Arguments:
///
/// - `stream`: the handler writes its response to a [`ResponseStream`], its last
///   parameter (`out: &mut ResponseStream`), and returns `()` or `Result<(), E>`; the
///   runtime streams it to the caller as it is written (see [`ResponseStream`]).
/// - `http`: the handler takes an `http::Request` and returns an `http::Response`, for
///   every HTTP source (with the `http` feature; see the `http` module). With `stream`
///   too, it sends its status and headers with `ResponseStream::send_head`.
/// - `init = setup`: `fn setup() -> S` or `fn setup() -> Result<S, E>` runs once, before
///   the first event; the handler then takes `state: &S` as its last parameter. A `setup`
///   that returns `()` or `Result<(), E>` makes no state, and the handler takes none.
///   `setup` may be an `async fn` (with the `tokio` feature). A failing or panicking
///   `setup` is reported to `/runtime/init/error` and the process exits with status 1.
/// - `shutdown = on_shutdown`: `fn on_shutdown()` runs when Lambda shuts the process
///   down (SIGTERM; SIGKILL follows 500 ms later), then the process exits 0. It makes the
///   runtime register an internal extension, which is what makes Lambda send SIGTERM.
/// - `crate = "path"`: where to find this crate if the dependency was renamed.
///
/// ```no_run
/// # #![allow(dead_code)] // rustdoc wraps this in a `main` of its own
/// use lambda_core::lambda;
///
/// struct Settings {
///     greeting: String,
/// }
///
/// fn setup() -> Result<Settings, std::env::VarError> {
///     Ok(Settings { greeting: std::env::var("GREETING")? })
/// }
///
/// #[lambda(init = setup)]
/// fn handler(name: String, settings: &Settings) -> String {
///     format!("{}, {name}!", settings.greeting)
/// }
/// ```
pub use lambda_macros::lambda;

/// Writes one runtime message, a warning, as one line on standard error (see
/// [`logging`]).
fn log(message: std::fmt::Arguments<'_>) {
    logging::runtime_line(logging::Level::Warn, message);
}

/// Writes one runtime message at `level`.
fn log_at(level: logging::Level, message: std::fmt::Arguments<'_>) {
    logging::runtime_line(level, message);
}

/// Text from the network as a log line shows it: its first 64 characters, then `…`,
/// quoted and escaped by `{:?}`.
struct Shown<'a>(&'a str);

impl std::fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN_CHARS: usize = 64;
        match self.0.char_indices().nth(SHOWN_CHARS) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(f, "{:?}…", &self.0[..cut]),
        }
    }
}
