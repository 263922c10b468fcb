//! The one contract between the `main` that `#[lambda]` generates and the runtime.

use crate::{Context, Diagnostic};

/// One invocation, as the generated code provides it: decode `event`, call the user's
/// function with the context and the state `init` made, and encode its answer into
/// `response` (empty, its capacity reused from one invocation to the next), or return
/// the report of what went wrong.
///
/// This is the only way the runtime calls user code, in every execution mode: the loop
/// on Lambda, and locally the same loop in the child process the emulator starts (from
/// the Invoke endpoint or from standard input). The generated code passes a closure;
/// the blanket impl makes any closure of this shape a handler, so that the shape is
/// written here and nowhere else, and the closure's parameter types are inferred from
/// it.
///
/// It is `Fn + Sync` because on Lambda Managed Instances N pollers on N threads share
/// one handler (and the state, by `&S`); the closure the generated code passes captures
/// nothing, so it is both.
///
/// An `async fn` handler (the `tokio` feature) keeps this contract: the closure calls it
/// and drives its future to completion through `__private::Drive`, so the runtime loop
/// and every mode above stay blocking and serve it unchanged.
///
/// The mode planned next plugs in here, and changes this contract in one place:
/// - A handler that writes a stream: `response` becomes a writer the runtime sends in
///   chunks as it fills.
pub trait Handler<S>: Fn(&[u8], &Context, &S, &mut Vec<u8>) -> Outcome + Sync {}

impl<S, F: Fn(&[u8], &Context, &S, &mut Vec<u8>) -> Outcome + Sync> Handler<S> for F {}

/// What an invocation produced: a response (its JSON is in the buffer the runtime passed
/// in), or the error report.
#[derive(Debug)]
pub enum Outcome {
    /// The JSON response body is in the response buffer.
    Response,
    /// The report for the `/error` post.
    Error(Diagnostic),
}

/// Implemented by [`Context`] only, so that a handler whose context parameter names
/// another type (from another crate, or the user's own) gets one error that says which
/// `Context` is expected, at that parameter.
#[diagnostic::on_unimplemented(
    message = "the context parameter must be `lambda_core::Context`, not `{Self}`",
    label = "a `Context` from somewhere else",
    note = "import the one the runtime passes: `use lambda_core::Context;`"
)]
pub trait LambdaContext {}

impl LambdaContext for Context {}

/// Checks, in the generated code, that a handler's context parameter is [`Context`]:
/// one function per form of handler, each taking the handler itself.
pub fn context_by_ref<E, C: LambdaContext, R>(_: impl Fn(E, &C) -> R) {}

/// See [`context_by_ref`].
pub fn context_by_ref_with_state<E, C: LambdaContext, S, R>(_: impl Fn(E, &C, &S) -> R) {}

/// See [`context_by_ref`].
pub fn context_by_value<E, C: LambdaContext, R>(_: impl Fn(E, C) -> R) {}

/// See [`context_by_ref`].
pub fn context_by_value_with_state<E, C: LambdaContext, S, R>(_: impl Fn(E, C, &S) -> R) {}

/// See [`context_by_ref`]; for an `async fn`.
pub fn async_context_by_ref<E, C: LambdaContext, R>(_: impl AsyncFn(E, &C) -> R) {}

/// See [`context_by_ref`]; for an `async fn`.
pub fn async_context_by_ref_with_state<E, C: LambdaContext, S, R>(_: impl AsyncFn(E, &C, &S) -> R) {
}

/// See [`context_by_ref`]; for an `async fn`.
pub fn async_context_by_value<E, C: LambdaContext, R>(_: impl AsyncFn(E, C) -> R) {}

/// See [`context_by_ref`]; for an `async fn`.
pub fn async_context_by_value_with_state<E, C: LambdaContext, S, R>(
    _: impl AsyncFn(E, C, &S) -> R,
) {
}
