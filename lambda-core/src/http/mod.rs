//! HTTP functions (the `http` feature): one handler, written with the `http` crate's
//! `Request` and `Response`, for API Gateway REST APIs (v1) and HTTP APIs (v2),
//! Application Load Balancers and Lambda function URLs.
//!
//! ```no_run
//! # #![allow(dead_code)] // rustdoc wraps this in a `main` of its own
//! use lambda_core::http::{Request, Response};
//! use lambda_core::lambda;
//!
//! #[lambda(http)]
//! fn handler(request: Request<String>) -> lambda_core::http::Result<Response<String>> {
//!     Response::builder()
//!         .header("content-type", "text/plain")
//!         .body(format!("{} {}", request.method(), request.uri().path()))
//! }
//! ```
//!
//! This module is the `http` crate (1.x) re-exported, so that your types are the ones
//! the runtime builds, plus what Lambda adds: [`RequestContext`] (in the request's
//! extensions), [`query_pairs`], and the body traits [`RequestBody`] and
//! [`ResponseBody`].
//!
//! **The request.** The method; a URI of the path and the query string; the headers,
//! every value of a repeated one kept, names lower-case; for v2 and function URLs, the
//! event's `cookies` as one `cookie` header; the body, base64-decoded when the event says
//! `isBase64Encoded`.
//!
//! - The path is the event's, nothing stripped: `path` for REST APIs and ALB (a REST
//!   API's has no stage in it), `rawPath` for HTTP APIs (with the stage, unless it is
//!   `$default`) and function URLs. HTTP APIs hand it over decoded, so a `%` in it is
//!   encoded as `%25`; the other sources keep the client's escapes. Characters a URI
//!   cannot hold (a space, `?`, `#`) are percent-encoded.
//! - The query string is percent-encoded exactly once, so that [`query_pairs`] decodes
//!   it once: HTTP APIs and function URLs give `rawQueryString`, kept as sent; ALB gives
//!   its parameters as the client sent them, and REST APIs decoded (encoded again here),
//!   each as a map, so the query is rebuilt from the map: keys in the event's order,
//!   each key's values together, a bare `flag` as `flag=`.
//!
//! **The response** is answered in the shape its source expects: REST APIs with
//! `multiValueHeaders` (which they take whatever the request had); ALB with
//! `statusDescription` (`"200 OK"`), and with `multiValueHeaders` when the request came
//! with them (the target group's setting), or else `headers`, repeated values joined with
//! `, ` and only the last `set-cookie` (one line says so); HTTP APIs and function URLs
//! with `headers` and each `set-cookie` in `cookies`. The body goes as text when it is
//! UTF-8, has no `content-encoding`, and its `content-type` is absent, `text/*`,
//! `application/json`, `application/javascript`, `application/xml`,
//! `application/x-www-form-urlencoded`, or any `*+json` or `*+xml` type; any other body
//! goes base64-encoded with `isBase64Encoded: true` (for API Gateway REST APIs, list the
//! binary types in the API's binary media types, as for every runtime).
//!
//! VPC Lattice events are not recognised: Lattice targets are rarely Lambda functions,
//! and its events share `version: "2.0"` with HTTP APIs while differing in every field,
//! which would double what the recogniser must tell apart. Take them as your own
//! `serde` type with `#[lambda]`.
//!
//! **Errors.** `Runtime.InvalidEvent`, one line each: an event that is not an HTTP
//! request from one of these sources (naming the sources and the first thing that did
//! not fit), an event from one of them with a field HTTP does not allow (naming the
//! source and the field: a body flagged `isBase64Encoded` that is not base64, a method,
//! a header, over 32,768 headers), and a body that does not fit the handler's body type.
//! A response header value that is not UTF-8 is `Runtime.InvalidResponse`. A handler
//! error is an error report like any other, which API Gateway turns into a `502`; to
//! answer `404` or `500` on purpose, return `Ok` with that status.

pub use ::http::*;

mod answer;
mod event;
mod query;

pub use event::RequestContext;
pub use query::query_pairs;

#[doc(hidden)]
pub use answer::HttpAnswer;
pub(crate) use answer::write_stream_head;

/// Which service sent an HTTP event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// An API Gateway REST API, proxy integration (payload format 1.0; also an HTTP
    /// API set to 1.0).
    ApiGatewayRest,
    /// An API Gateway HTTP API (payload format 2.0).
    ApiGatewayHttp,
    /// An Application Load Balancer target group.
    Alb,
    /// A Lambda function URL.
    FunctionUrl,
}

/// A type the request body can be: `String` (the body must be UTF-8), `Vec<u8>`, or
/// `()` to ignore it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an HTTP request body",
    label = "not `String`, `Vec<u8>` or `()`",
    note = "take `Request<String>` for text, `Request<Vec<u8>>` for bytes"
)]
pub trait RequestBody: Sized {
    /// The body, or why it cannot be this type.
    fn from_bytes(body: Vec<u8>) -> std::result::Result<Self, &'static str>;
}

impl RequestBody for Vec<u8> {
    fn from_bytes(body: Vec<u8>) -> std::result::Result<Self, &'static str> {
        Ok(body)
    }
}

impl RequestBody for String {
    fn from_bytes(body: Vec<u8>) -> std::result::Result<Self, &'static str> {
        String::from_utf8(body).map_err(
            |_| "the request body is not UTF-8 text; take the request as `Request<Vec<u8>>`",
        )
    }
}

impl RequestBody for () {
    fn from_bytes(_: Vec<u8>) -> std::result::Result<Self, &'static str> {
        Ok(())
    }
}

/// A type the response body can be: text or bytes, owned or borrowed, or `()` for none.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an HTTP response body",
    label = "not text, bytes or `()`",
    note = "use `String`, `&'static str`, `Vec<u8>` or `()`; serialize JSON to a `String` first"
)]
pub trait ResponseBody {
    /// The bytes to send.
    fn as_bytes(&self) -> &[u8];
}

macro_rules! response_body {
    ($as_bytes:expr => $($ty:ty),*) => {$(
        impl ResponseBody for $ty {
            fn as_bytes(&self) -> &[u8] {
                $as_bytes(self)
            }
        }
    )*};
}

response_body!(str::as_bytes => String, &str, Box<str>, std::borrow::Cow<'_, str>);
response_body!(<[u8]>::as_ref => Vec<u8>, &[u8], Box<[u8]>, std::borrow::Cow<'_, [u8]>);

impl ResponseBody for () {
    fn as_bytes(&self) -> &[u8] {
        &[]
    }
}
