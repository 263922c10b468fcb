//! The one contract between the `main` that `#[lambda]` generates and the runtime.

use crate::{Context, Diagnostic, ResponseStream};

/// One invocation, as the generated code provides it: decode `event`, call the user's
/// function with the context and the state `init` made, and give its answer to
/// `response`, or return the report of what went wrong.
///
/// `response` is where the answer goes in both forms of handler: a buffered handler's
/// response is encoded into its buffer (`__private::buffer`, empty, its capacity reused
/// from one invocation to the next); a `#[lambda(stream)]` handler is handed the
/// [`ResponseStream`] itself (`__private::streaming`), which sends chunks to the Runtime
/// API as it fills.
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
pub trait Handler<S>: Fn(&[u8], &Context, &S, &mut ResponseStream<'_>) -> Outcome + Sync {}

impl<S, F: Fn(&[u8], &Context, &S, &mut ResponseStream<'_>) -> Outcome + Sync> Handler<S> for F {}

/// What an invocation produced: a response (in the buffer the runtime passed in, or
/// streamed), or the error report.
#[derive(Debug)]
pub enum Outcome {
    /// The response is in the response buffer, or was streamed.
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

/// See [`context_by_ref`]; for a `#[lambda(stream)]` handler, whose stream parameter
/// would double the functions above, the named type itself.
pub fn context_type<C: LambdaContext>() {}

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
