//! Every body the emulator writes itself, in one place: Lambda's error JSON and the
//! fixed answers of the Runtime API it serves.

use crate::invoke::{PAYLOAD_LIMIT, response_too_large_message};

/// `{"errorType":…,"errorMessage":…}`, the body of every error the emulator answers
/// itself, as Lambda shapes them.
pub(crate) fn error_json(error_type: &str, message: &str) -> Vec<u8> {
    let text = |value: &str| serde_json::to_string(value).unwrap_or_default();
    format!(
        r#"{{"errorType":{},"errorMessage":{}}}"#,
        text(error_type),
        text(message)
    )
    .into_bytes()
}

/// `Function.ResponseSizeTooLarge`, as the caller of an invoke gets it.
pub(crate) fn response_too_large(size: usize) -> Vec<u8> {
    error_json(
        "Function.ResponseSizeTooLarge",
        &response_too_large_message(size),
    )
}

/// The `413` to a post over the payload limit, as the Runtime API answers it.
pub(crate) fn post_too_large() -> Vec<u8> {
    error_json(
        "RequestEntityTooLarge",
        &format!("Exceeded maximum allowed payload size ({PAYLOAD_LIMIT} bytes)."),
    )
}

/// The `413` to a stream past the limit, which ends it.
pub(crate) fn stream_too_large(limit: usize) -> Vec<u8> {
    error_json(
        "RequestEntityTooLarge",
        &format!("the stream exceeded the maximum allowed size ({limit} bytes)"),
    )
}

/// The `400` that ends a stream whose caller went away.
pub(crate) fn caller_gone() -> Vec<u8> {
    error_json("ClientGone", "the caller of this invocation went away")
}

/// The `400` to a stream whose chunks could not be read.
pub(crate) fn stream_broken() -> Vec<u8> {
    error_json("BadRequest", "the stream broke off before its end")
}

/// The answer to `/extension/register`.
pub(crate) const REGISTERED: &str =
    r#"{"functionName":"function","functionVersion":"$LATEST","handler":"bootstrap"}"#;

/// The `202` to an accepted post.
pub(crate) const ACCEPTED: &str = r#"{"status":"OK"}"#;

pub(crate) fn invalid_request_id() -> Vec<u8> {
    error_json("InvalidRequestID", "Invalid request ID")
}

pub(crate) fn stale_invocation() -> Vec<u8> {
    error_json(
        "InvocationGone",
        "the invocation is no longer current: it timed out, or the Lambda-Runtime-Invocation-Id is not its own",
    )
}

pub(crate) fn no_such_path() -> Vec<u8> {
    error_json("NotFound", "no such Runtime API path")
}

pub(crate) fn invalid_state() -> Vec<u8> {
    error_json("InvalidStateTransition", "not allowed in the current state")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_escaped_json() {
        let body = error_json("Sandbox.Timedout", "a \"quoted\"\nline");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"errorType":"Sandbox.Timedout","errorMessage":"a \"quoted\"\nline"}"#
        );
    }

    #[test]
    fn the_two_answers_to_an_oversized_response_match_lambdas_wording() {
        assert_eq!(
            String::from_utf8(response_too_large(7_000_000)).unwrap(),
            r#"{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size (7000000 bytes) exceeded maximum allowed payload size (6291556 bytes)."}"#
        );
        assert_eq!(
            String::from_utf8(post_too_large()).unwrap(),
            r#"{"errorType":"RequestEntityTooLarge","errorMessage":"Exceeded maximum allowed payload size (6291556 bytes)."}"#
        );
    }
}
