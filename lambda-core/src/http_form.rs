//! What the code generated for `#[lambda(http)]` calls: the event decoded into the
//! handler's `http::Request`, and its `http::Response` encoded in the shape the source
//! expects.
//!
//! The two traits exist in every build; their only implementations come with the
//! `http` feature (in `http/`). Without it, `#[lambda(http)]` is one error, at the
//! event type, that names the feature.

use crate::invoke::Outcome;

/// An event type `#[lambda(http)]` can decode: `http::Request<B>`.
#[cfg_attr(
    feature = "http",
    diagnostic::on_unimplemented(
        message = "with `#[lambda(http)]` the event must be `lambda_core::http::Request<B>`, not `{Self}`",
        label = "not an `http::Request`",
        note = "the body `B` is `String`, `Vec<u8>` or `()`"
    )
)]
#[cfg_attr(
    not(feature = "http"),
    diagnostic::on_unimplemented(
        message = "`#[lambda(http)]` needs lambda-core's `http` feature",
        label = "an HTTP request, and lambda-core's `http` feature is off",
        note = "turn it on in Cargo.toml: `lambda-core = {{ version = \"0.1\", features = [\"http\"] }}`"
    )
)]
pub trait HttpRequest: Sized {
    /// What the response needs to know of the request: its source, and the shape it
    /// answers in.
    type Answer;

    /// Decodes an HTTP event from any source, or reports `Runtime.InvalidEvent`.
    fn from_event(event: &[u8]) -> Result<(Self, Self::Answer), Outcome>;
}

/// A response type `#[lambda(http)]` can encode: `http::Response<B>`.
#[diagnostic::on_unimplemented(
    message = "with `#[lambda(http)]` the handler returns `lambda_core::http::Response<B>`, not `{Self}`",
    label = "not an `http::Response`",
    note = "the body `B` is `String`, `&'static str`, `Vec<u8>` or `()`; build it with `Response::builder()`"
)]
pub trait HttpResponse<Answer> {
    /// Writes the response's JSON, in the shape `answer` says, into `out`.
    fn answer(self, answer: Answer, out: &mut Vec<u8>) -> Outcome;
}
