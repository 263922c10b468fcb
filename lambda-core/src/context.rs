//! What Lambda says about one invocation, parsed from the `/next` response headers.

use crate::FunctionInfo;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Deadlines below this (2001-09-09 in epoch milliseconds) are not epoch values.
/// `cargo lambda watch` sends the constant `600000`; taken as an epoch it would make
/// every invocation look already late, so such a deadline is treated as unknown, without
/// a warning (it comes with every invocation there).
const EARLIEST_PLAUSIBLE_DEADLINE_MS: u64 = 1_000_000_000_000;

/// The invocation's metadata, handed to the handler beside the event.
///
/// Every field but `request_id` is optional: emulators and local runs leave some out, and
/// a missing or malformed header never stops the invocation.
///
/// In a unit test, start from `Context::default()` and set the fields the handler reads.
/// (The struct is `#[non_exhaustive]`, so that Lambda's new headers can become fields:
/// outside this crate a struct literal, even with `..Default::default()`, does not
/// compile.)
///
/// ```
/// use lambda_core::{Context, FunctionInfo};
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
///
/// let mut ctx = Context::default();
/// ctx.request_id = "req-1".to_owned();
/// ctx.tenant_id = Some("tenant-7".to_owned());
/// // A deadline three seconds from now, as Lambda sends it.
/// let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
/// ctx.deadline_ms = Some((now + Duration::from_secs(3)).as_millis() as u64);
/// let mut function = FunctionInfo::default();
/// function.name = Some("orders".to_owned());
/// ctx.function = Arc::new(function);
///
/// assert!(ctx.remaining_time().is_some_and(|left| left <= Duration::from_secs(3)));
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Context {
    /// `Lambda-Runtime-Aws-Request-Id`: the id of this invocation.
    pub request_id: String,
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda stops the invocation, in Unix epoch
    /// milliseconds; `None` when missing or not a plausible epoch value.
    pub deadline_ms: Option<u64>,
    /// `Lambda-Runtime-Invoked-Function-Arn`: the ARN the caller invoked (it names the
    /// alias or version, so it can differ between invocations).
    pub invoked_function_arn: Option<String>,
    /// `Lambda-Runtime-Trace-Id`: the AWS X-Ray tracing header. With one poller the
    /// runtime also puts it in the `_X_AMZN_TRACE_ID` environment variable for the
    /// invocation; with several (Lambda Managed Instances) it is only here.
    pub xray_trace_id: Option<String>,
    /// `Lambda-Runtime-Client-Context`: the client context sent by the AWS Mobile SDK,
    /// as JSON; `None` when absent, empty or not JSON.
    pub client_context: Option<serde_json::Value>,
    /// `Lambda-Runtime-Cognito-Identity`: the Amazon Cognito identity of the caller.
    pub identity: Option<CognitoIdentity>,
    /// `Lambda-Runtime-Aws-Tenant-Id`: the tenant, for functions in tenant-isolation mode.
    pub tenant_id: Option<String>,
    /// `Lambda-Runtime-Invocation-Id`: a per-attempt id that the runtime echoes on its
    /// answer so Lambda can reject a late answer to an earlier attempt.
    pub invocation_id: Option<String>,
    /// The function's settings from the environment.
    pub function: Arc<FunctionInfo>,
}

/// The Amazon Cognito identity that made the call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CognitoIdentity {
    /// `cognitoIdentityId`.
    pub identity_id: Option<String>,
    /// `cognitoIdentityPoolId`.
    pub identity_pool_id: Option<String>,
}

impl Context {
    /// When Lambda will stop this invocation, if the runtime was told.
    pub fn deadline(&self) -> Option<SystemTime> {
        self.deadline_ms
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
    }

    /// How long the invocation may still run: zero once the deadline has passed, `None`
    /// when the deadline is unknown (a local run, or an emulator that sends none).
    pub fn remaining_time(&self) -> Option<Duration> {
        let deadline = self.deadline()?;
        Some(
            deadline
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }
}

/// The headers of one `/next` answer that the runtime reads.
pub(crate) mod header {
    pub(crate) const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
    pub(crate) const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
    pub(crate) const FUNCTION_ARN: &str = "lambda-runtime-invoked-function-arn";
    pub(crate) const TRACE_ID: &str = "lambda-runtime-trace-id";
    pub(crate) const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
    pub(crate) const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";
    pub(crate) const TENANT_ID: &str = "lambda-runtime-aws-tenant-id";
    pub(crate) const INVOCATION_ID: &str = "lambda-runtime-invocation-id";
}

/// A parsed `/next` answer: the context, or why the invocation cannot be answered.
pub(crate) struct Parsed {
    pub(crate) context: Context,
    /// One line each for headers that were present but unusable and so ignored.
    pub(crate) warnings: Vec<String>,
}

/// Why an invocation cannot be answered at all.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unanswerable {
    /// The request id header is absent.
    NoRequestId,
    /// The request id cannot be put in a URL path safely.
    UnsafeInUrl(String),
    /// The request id is safe, but with its invocation id it makes the head of an answer
    /// longer than the HTTP client's buffer holds.
    TooLong(String),
}

impl std::fmt::Display for Unanswerable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unanswerable::NoRequestId => {
                f.write_str("the event has no Lambda-Runtime-Aws-Request-Id header")
            }
            Unanswerable::UnsafeInUrl(id) => {
                write!(
                    f,
                    "the request id {:?} is not safe to put in a URL",
                    crate::Shown(id)
                )
            }
            Unanswerable::TooLong(id) => write!(
                f,
                "the request id {:?} ({} bytes) makes the head of an answer longer than the HTTP client's 8 KiB buffer",
                crate::Shown(id),
                id.len()
            ),
        }
    }
}

/// Builds the context from the headers that `header` looks up (by lower-case name, as
/// raw bytes: header values need not be UTF-8).
pub(crate) fn parse<'h>(
    header: impl Fn(&str) -> Option<&'h [u8]>,
    function: &Arc<FunctionInfo>,
) -> Result<Parsed, Unanswerable> {
    let request_id = header(header::REQUEST_ID).ok_or(Unanswerable::NoRequestId)?;
    if !is_safe_request_id(request_id) {
        let shown = String::from_utf8_lossy(request_id).into_owned();
        return Err(Unanswerable::UnsafeInUrl(shown));
    }
    let mut warnings = Vec::new();
    let text = |name: &str, warnings: &mut Vec<String>| {
        let value = header(name)?;
        match visible_ascii(value) {
            Some("") => None,
            Some(value) => Some(value.to_owned()),
            None => {
                warnings.push(format!(
                    "ignored the {name} header: it is not visible ASCII"
                ));
                None
            }
        }
    };
    let deadline_ms =
        text(header::DEADLINE_MS, &mut warnings).and_then(|raw| match raw.parse::<u64>() {
            Ok(ms) => (ms >= EARLIEST_PLAUSIBLE_DEADLINE_MS).then_some(ms),
            Err(_) => {
                warnings.push(format!(
                    "ignored the {} header {raw:?}: not an epoch time in milliseconds",
                    header::DEADLINE_MS
                ));
                None
            }
        });
    let client_context = text(header::CLIENT_CONTEXT, &mut warnings)
        .and_then(|raw| json_or_warn(header::CLIENT_CONTEXT, &raw, &mut warnings));
    let identity = text(header::COGNITO_IDENTITY, &mut warnings)
        .and_then(|raw| json_or_warn(header::COGNITO_IDENTITY, &raw, &mut warnings))
        .map(|json| cognito_identity(&json));
    let context = Context {
        invoked_function_arn: text(header::FUNCTION_ARN, &mut warnings),
        xray_trace_id: text(header::TRACE_ID, &mut warnings),
        tenant_id: text(header::TENANT_ID, &mut warnings),
        invocation_id: text(header::INVOCATION_ID, &mut warnings),
        client_context,
        identity,
        deadline_ms,
        // Checked above: the id is ASCII.
        request_id: String::from_utf8_lossy(request_id).into_owned(),
        function: Arc::clone(function),
    };
    Ok(Parsed { context, warnings })
}

/// A request id goes into the `/response` and `/error` paths, so it may only hold URL
/// unreserved characters, and may not be `.` or `..` (a path traversal).
pub(crate) fn is_safe_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id != b"."
        && id != b".."
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
}

/// The value as text, if it is visible ASCII and spaces (what a header may echo back).
fn visible_ascii(value: &[u8]) -> Option<&str> {
    let value = value.trim_ascii();
    let printable = value
        .iter()
        .all(|&b| b == b' ' || b == b'\t' || b.is_ascii_graphic());
    printable.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// Reads through `from_slice`, as the event decoder does, so that one `Value` parser
/// serves both (`from_str` would compile a second one into every binary).
fn json_or_warn(name: &str, raw: &str, warnings: &mut Vec<String>) -> Option<serde_json::Value> {
    match serde_json::from_slice(raw.as_bytes()) {
        Ok(json) => Some(json),
        Err(error) => {
            warnings.push(format!(
                "ignored the {name} header: it is not JSON ({error})"
            ));
            None
        }
    }
}

/// Lambda documents camelCase keys; the shorter aliases are what some emulators send.
fn cognito_identity(json: &serde_json::Value) -> CognitoIdentity {
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| json.get(name)?.as_str())
            .map(str::to_owned)
    };
    CognitoIdentity {
        identity_id: field(&["cognitoIdentityId", "identityId"]),
        identity_pool_id: field(&["cognitoIdentityPoolId", "identityPoolId"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_pairs(pairs: &[(&str, &[u8])]) -> Result<Parsed, Unanswerable> {
        let pairs = pairs.to_vec();
        parse(
            move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v),
            &Arc::default(),
        )
    }

    #[test]
    fn reads_every_header() {
        let parsed = parse_pairs(&[
            (header::REQUEST_ID, b"8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
            (header::DEADLINE_MS, b"1542409706888"),
            (
                header::FUNCTION_ARN,
                b"arn:aws:lambda:us-east-1:123456789012:function:f",
            ),
            (
                header::TRACE_ID,
                b"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1",
            ),
            (header::CLIENT_CONTEXT, br#"{"custom":{"k":"v"}}"#),
            (
                header::COGNITO_IDENTITY,
                br#"{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}"#,
            ),
            (header::TENANT_ID, b"tenant-1"),
            (header::INVOCATION_ID, b"inv-1"),
        ])
        .unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let ctx = parsed.context;
        assert_eq!(ctx.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        assert_eq!(ctx.deadline_ms, Some(1542409706888));
        assert_eq!(
            ctx.invoked_function_arn.as_deref(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:f")
        );
        assert_eq!(
            ctx.xray_trace_id.as_deref(),
            Some("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1")
        );
        assert_eq!(
            ctx.client_context,
            Some(serde_json::json!({"custom": {"k": "v"}}))
        );
        let identity = ctx.identity.unwrap();
        assert_eq!(identity.identity_id.as_deref(), Some("id"));
        assert_eq!(identity.identity_pool_id.as_deref(), Some("pool"));
        assert_eq!(ctx.tenant_id.as_deref(), Some("tenant-1"));
        assert_eq!(ctx.invocation_id.as_deref(), Some("inv-1"));
    }

    #[test]
    fn only_the_request_id_is_required() {
        let ctx = parse_pairs(&[(header::REQUEST_ID, b"abc")])
            .unwrap()
            .context;
        assert_eq!(ctx.request_id, "abc");
        assert_eq!(ctx.deadline_ms, None);
        assert_eq!(ctx.remaining_time(), None);
        assert_eq!(parse_pairs(&[]).err(), Some(Unanswerable::NoRequestId));
    }

    #[test]
    fn request_ids_that_are_unsafe_in_a_path_are_refused() {
        for id in [
            &b""[..],
            b".",
            b"..",
            b"../x",
            b"a/b",
            b"%2F",
            b"a b",
            "é".as_bytes(),
            b"a\r\nb",
            b"a?b",
        ] {
            assert!(!is_safe_request_id(id), "{id:?}");
            assert!(matches!(
                parse_pairs(&[(header::REQUEST_ID, id)]),
                Err(Unanswerable::UnsafeInUrl(_))
            ));
        }
        for id in [
            &b"8476a536-e9f4-11e8-9739-2dfe598c3fcd"[..],
            b"a.b_c~d-e",
            b"...",
        ] {
            assert!(is_safe_request_id(id), "{id:?}");
        }
    }

    #[test]
    fn garbage_deadlines_are_unknown_and_warned() {
        for raw in [&b"soon"[..], b"-1", b"1.5e12"] {
            let parsed =
                parse_pairs(&[(header::REQUEST_ID, b"a"), (header::DEADLINE_MS, raw)]).unwrap();
            assert_eq!(parsed.context.deadline_ms, None, "{raw:?}");
            assert_eq!(parsed.warnings.len(), 1, "{raw:?}");
        }
    }

    #[test]
    fn cargo_lambdas_constant_deadline_is_unknown_without_a_warning() {
        let parsed =
            parse_pairs(&[(header::REQUEST_ID, b"a"), (header::DEADLINE_MS, b"600000")]).unwrap();
        assert_eq!(parsed.context.deadline_ms, None);
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn a_past_deadline_leaves_zero_time() {
        let ctx = Context {
            deadline_ms: Some(EARLIEST_PLAUSIBLE_DEADLINE_MS),
            ..Context::default()
        };
        assert_eq!(ctx.remaining_time(), Some(Duration::ZERO));
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            + 3_600_000;
        let ctx = Context {
            deadline_ms: Some(ms),
            ..Context::default()
        };
        assert!(ctx.remaining_time().unwrap() > Duration::from_secs(3000));
    }

    #[test]
    fn malformed_json_headers_are_ignored_with_a_warning() {
        let parsed = parse_pairs(&[
            (header::REQUEST_ID, b"a"),
            (header::CLIENT_CONTEXT, b"eyJjdXN0b20iOnt9fQ=="),
            (header::COGNITO_IDENTITY, b"{not json"),
        ])
        .unwrap();
        assert_eq!(parsed.context.client_context, None);
        assert_eq!(parsed.context.identity, None);
        assert_eq!(parsed.warnings.len(), 2);
        assert!(parsed.warnings.iter().all(|w| !w.contains('\n')));
    }

    #[test]
    fn non_ascii_values_are_ignored_and_empty_ones_are_absent() {
        let parsed = parse_pairs(&[
            (header::REQUEST_ID, b"a"),
            (header::TRACE_ID, b"Root=\xff"),
            (header::INVOCATION_ID, b"a\x01b"),
            (header::CLIENT_CONTEXT, b""),
        ])
        .unwrap();
        assert_eq!(parsed.context.xray_trace_id, None);
        assert_eq!(parsed.context.invocation_id, None);
        assert_eq!(parsed.context.client_context, None);
        assert_eq!(parsed.warnings.len(), 2);
    }
}
