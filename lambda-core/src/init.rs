//! `init` may be `fn` or `async fn`, and return `S`, `Result<S, E>`, `()` or
//! `Result<(), E>`; the macro sees only a path, so the types pick the case, in the
//! generated code:
//!
//! ```text
//! let value = call_init(setup);                                // a function of no parameters
//! let value = (&value).lambda_init_await().resolve(value)?;    // a future is driven
//! match (&value).lambda_init_kind().into_result(value) { … }   // a value becomes Ok
//! ```
//!
//! each by the same layered-reference method lookup as [`report`](crate::report). A
//! handler that takes no state asks [`no_state`] that the state is `()`.

use crate::Diagnostic;
use crate::async_runtime::Drive;
use std::future::Future;

/// A function `init` can name: no parameters, any result.
#[diagnostic::on_unimplemented(
    message = "`init` must name a function that takes no parameters",
    label = "not a function of no parameters",
    note = "an init function looks like `fn setup() -> Result<State, Error>` or `async fn setup() -> State` (with the `tokio` feature); it may return `()` when the handler takes no state"
)]
pub trait InitFunction<T>: FnOnce() -> T {}

impl<T, F: FnOnce() -> T> InitFunction<T> for F {}

/// Calls the user's init function.
pub fn call_init<T>(init: impl InitFunction<T>) -> T {
    init()
}

/// An `init` result that is a future: an `async fn`.
pub struct InitFuture;
/// An `init` result that is ready.
pub struct InitReady;

/// Picks [`InitFuture`] for a future.
pub trait InitFutureKind {
    /// The case.
    fn lambda_init_await(&self) -> InitFuture {
        InitFuture
    }
}
impl<F: Future> InitFutureKind for F {}

/// Picks [`InitReady`] for anything else.
pub trait InitReadyKind {
    /// The case.
    fn lambda_init_await(&self) -> InitReady {
        InitReady
    }
}
impl<T> InitReadyKind for &T {}

impl InitFuture {
    /// The future's output, driven on the process's runtime; the error is a runtime that
    /// could not be started.
    pub fn resolve<F: Drive>(self, future: F) -> Result<F::Output, Diagnostic> {
        future.drive()
    }
}

impl InitReady {
    /// The value as it is.
    pub fn resolve<T>(self, value: T) -> Result<T, Diagnostic> {
        Ok(value)
    }
}

/// The state of an `init` whose handler takes none: it must be `()`.
#[diagnostic::on_unimplemented(
    message = "`init` returns a state, `{Self}`, but the handler takes no state parameter",
    label = "returns `{Self}`",
    note = "take it as the handler's last parameter, like `state: &{Self}`, or return `()` from init"
)]
pub trait NoState {}

impl NoState for () {}

/// Checks, in the generated code, that `init` makes no state the handler would drop.
pub fn no_state<S: NoState>(_init: &impl FnOnce() -> Result<S, Diagnostic>) {}

/// `init` for a handler that has none.
pub fn no_init() -> Result<(), Diagnostic> {
    Ok(())
}

/// An `init` result that is a `Result`.
pub struct InitResult;
/// An `init` result that is the state itself.
pub struct InitValue;

/// Picks [`InitResult`] for a `Result`.
pub trait InitResultKind {
    /// The case.
    fn lambda_init_kind(&self) -> InitResult {
        InitResult
    }
}
impl<S, E> InitResultKind for Result<S, E> {}

/// Picks [`InitValue`] for anything else.
pub trait InitValueKind {
    /// The case.
    fn lambda_init_kind(&self) -> InitValue {
        InitValue
    }
}
impl<S> InitValueKind for &S {}

impl InitResult {
    /// The result as it is.
    pub fn into_result<S, E>(self, result: Result<S, E>) -> Result<S, E> {
        result
    }
}

impl InitValue {
    /// The state, which cannot have failed.
    pub fn into_result<S>(self, state: S) -> Result<S, Diagnostic> {
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::needless_borrow, reason = "the borrow is what picks the case")]
    fn init_results_and_values_both_become_results() {
        let result: Result<u8, String> = Ok(1);
        assert_eq!((&result).lambda_init_kind().into_result(result), Ok(1));
        let value = 2_u8;
        assert_eq!((&value).lambda_init_kind().into_result(value), Ok(2));
    }
}
