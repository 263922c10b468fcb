//! How a failure becomes the error report Lambda shows the caller.

use std::error::Error as StdError;

/// An error report: the body of a `/error` post, and what the caller of the function sees.
///
/// ```json
/// {"errorType":"OrderError","errorMessage":"order 7 is out of stock","stackTrace":[]}
/// ```
///
/// - `error_type` is the error's own type name by default, such as `OrderError` (see
///   [`Diagnose`] to choose another). Failures of the runtime itself use `Runtime.*`
///   names: `Runtime.InvalidEvent`, `Runtime.InvalidResponse`, `Runtime.Panic`,
///   `Function.ResponseSizeTooLarge`.
/// - `error_message` is the error's `Display`.
/// - `stack_trace` lists the `source()` chain, or the location of a panic.
///
/// The `Lambda-Runtime-Function-Error-Type` header sent beside it is derived from
/// `error_type` so that it always matches `(Runtime|Function)\.[A-Z][a-zA-Z]+`, the form
/// Lambda accepts: `OrderError` becomes `Function.OrderError`, `Utf8Error` becomes
/// `Function.UtfError`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The `errorType` field.
    pub error_type: String,
    /// The `errorMessage` field.
    pub error_message: String,
    /// The `stackTrace` field.
    pub stack_trace: Vec<String>,
}

/// Chooses how an error type is reported, for errors returned by a handler or `init`.
///
/// Without an implementation, an error `E` is reported by what it is, checked in this
/// order:
///
/// 1. `E: Diagnose`: this trait decides.
/// 2. `E: std::error::Error`: its type name, its `Display`, its `source()` chain.
/// 3. `E` holds a `dyn Error` (`Box<dyn Error + Send + Sync>`, `Box<dyn Error>`, or a type
///    such as `anyhow::Error` that is `AsRef<dyn Error>`): the type name of the error
///    inside when it is a standard library or `serde_json` error, else `Error`; its
///    `Display` and `source()` chain.
/// 4. `String`, `&str` and other `AsRef<str>` types: `Error`, and the text.
/// 5. any other `Display` type: its type name, and its `Display`.
///
/// In cases 2 and 3, an error from the AWS SDK for Rust that the service answered
/// (`SdkError::ServiceError`, boxed or not) is reported under the service's error code,
/// such as `ResourceNotFoundException`, with the service's message: the code that the
/// SDK's `ProvideErrorMetadata::code()` returns. lambda-core does not depend on the SDK,
/// so it reads what the SDK's errors display, which the SDK generates for every service
/// in one form: the `SdkError` says `service error`, and its `source()`, the operation's
/// error, says `Code: message`, `Code`, or `unhandled error (Code)`. Other SDK errors
/// (timeouts, dispatch failures) keep the rules above. To choose otherwise, wrap the
/// error in a type of your own that implements this trait.
///
/// ```
/// use lambda_core::{Diagnose, Diagnostic};
///
/// #[derive(Debug)]
/// enum OrderError {
///     OutOfStock(u64),
/// }
///
/// impl std::fmt::Display for OrderError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         match self {
///             OrderError::OutOfStock(id) => write!(f, "order {id} is out of stock"),
///         }
///     }
/// }
///
/// impl std::error::Error for OrderError {}
///
/// impl Diagnose for OrderError {
///     fn diagnostic(&self) -> Diagnostic {
///         Diagnostic::from_error(self).with_error_type("OutOfStock")
///     }
/// }
///
/// let report = OrderError::OutOfStock(7).diagnostic();
/// assert_eq!(report.error_type, "OutOfStock");
/// assert_eq!(report.error_message, "order 7 is out of stock");
/// ```
pub trait Diagnose {
    /// The report for this error.
    fn diagnostic(&self) -> Diagnostic;
}

impl Diagnose for Diagnostic {
    fn diagnostic(&self) -> Diagnostic {
        self.clone()
    }
}

impl Diagnostic {
    /// A report with the given type and message and no stack trace.
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            error_type: error_type.into(),
            error_message: error_message.into(),
            stack_trace: Vec::new(),
        }
    }

    /// The default report for an error: its type name, `Display` and `source()` chain.
    ///
    /// A trait object (`&dyn Error`, `&(dyn Error + Send + Sync)`, …) is reported under
    /// the type inside it where that can be known, and `Error` otherwise.
    pub fn from_error<E: ErrorValue + ?Sized>(error: &E) -> Diagnostic {
        if let Some(report) = aws_service_error(error.as_std_error()) {
            return report;
        }
        let error_type = error.lambda_error_type();
        let error = error.as_std_error();
        Diagnostic {
            error_type,
            error_message: error.to_string(),
            stack_trace: source_chain(error.source()),
        }
    }

    /// Replaces the `errorType`.
    pub fn with_error_type(mut self, error_type: impl Into<String>) -> Diagnostic {
        self.error_type = error_type.into();
        self
    }

    /// Replaces the `stackTrace`.
    pub fn with_stack_trace(mut self, stack_trace: Vec<String>) -> Diagnostic {
        self.stack_trace = stack_trace;
        self
    }

    /// The report as the JSON body of an `/error` post.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        // Strings and a list of strings always serialize; fall back to an empty body
        // rather than panic (Lambda then uses the error-type header).
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The `Lambda-Runtime-Function-Error-Type` header: `Runtime.X` or `Function.X`, where
    /// `X` is an upper-case letter and letters only, at most 64 of them (the header only
    /// classifies; the report's `errorType` keeps the whole name).
    pub(crate) fn header_value(&self) -> String {
        const MOST_LETTERS: usize = 64;
        let (prefix, name) = match self.error_type.split_once('.') {
            Some(("Runtime", name)) => ("Runtime", name),
            Some(("Function", name)) => ("Function", name),
            _ => (
                "Function",
                self.error_type.rsplit('.').next().unwrap_or_default(),
            ),
        };
        let mut letters: String = name
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(MOST_LETTERS)
            .collect();
        if let Some(first) = letters.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        if letters.len() < 2 {
            letters = "Error".to_owned();
        }
        format!("{prefix}.{letters}")
    }
}

/// `errorType: errorMessage`.
impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error_type, self.error_message)
    }
}

/// A handler may return `Result<U, Diagnostic>` to choose its report directly.
impl StdError for Diagnostic {}

/// `{"errorType":…,"errorMessage":…,"stackTrace":[…]}`, in the order Lambda documents.
impl serde::Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut body = serializer.serialize_struct("Diagnostic", 3)?;
        body.serialize_field("errorType", &self.error_type)?;
        body.serialize_field("errorMessage", &self.error_message)?;
        body.serialize_field("stackTrace", &self.stack_trace)?;
        body.end()
    }
}

/// The `stackTrace` of an error: the `Display` of each cause, outermost first. Bounded,
/// so that a cyclic `source()` implementation cannot hang the runtime.
fn source_chain(mut source: Option<&(dyn StdError + 'static)>) -> Vec<String> {
    const MAX_CAUSES: usize = 64;
    let mut chain = Vec::new();
    while let Some(cause) = source {
        if chain.len() == MAX_CAUSES {
            break;
        }
        chain.push(cause.to_string());
        source = cause.source();
    }
    chain
}

/// The report for an AWS SDK service error (see [`Diagnose`]): the service's error code
/// and message, read from what the SDK's errors display; `None` for any other error.
fn aws_service_error(error: &(dyn StdError + 'static)) -> Option<Diagnostic> {
    // The SDK's codes are names such as `ResourceNotFoundException` or
    // `InvalidParameterValue`, some with a namespace (`aws.protocoltests#Error`).
    fn is_error_code(code: &str) -> bool {
        code.len() <= 128
            && code.starts_with(|c: char| c.is_ascii_alphabetic())
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '#'))
    }
    if error.to_string() != "service error" {
        return None;
    }
    let service = error.source()?;
    let message = service.to_string();
    let code = match message
        .strip_prefix("unhandled error (")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        Some(code) => code,
        None => message.split(": ").next().unwrap_or_default(),
    };
    is_error_code(code).then(|| Diagnostic {
        error_type: code.to_owned(),
        error_message: message.clone(),
        stack_trace: source_chain(service.source()),
    })
}

/// The report for a `dyn Error` whose concrete type is not known at compile time: the
/// trait object's own [`ErrorValue`] path, which asks the value for its type.
pub(crate) fn from_dyn_error(error: &(dyn StdError + 'static)) -> Diagnostic {
    Diagnostic::from_error(error)
}

/// What [`Diagnostic::from_error`] takes: any sized `std::error::Error + 'static`, or one
/// of std's error trait objects (`dyn Error`, `dyn Error + Send`, `dyn Error + Send +
/// Sync`). Sealed: a trait object's type name (`dyn Error + Send + Sync`) says nothing of
/// the error inside, so trait objects take the dynamic path, which asks the value.
pub trait ErrorValue: sealed::Sealed {
    #[doc(hidden)]
    fn lambda_error_type(&self) -> String;
    #[doc(hidden)]
    fn as_std_error(&self) -> &(dyn StdError + 'static);
}

mod sealed {
    pub trait Sealed {}
}

impl<E: StdError + 'static> sealed::Sealed for E {}
impl<E: StdError + 'static> ErrorValue for E {
    fn lambda_error_type(&self) -> String {
        short_type_name(std::any::type_name::<E>())
    }
    fn as_std_error(&self) -> &(dyn StdError + 'static) {
        self
    }
}

macro_rules! error_object {
    ($($object:ty),*) => {$(
        impl sealed::Sealed for $object {}
        impl ErrorValue for $object {
            fn lambda_error_type(&self) -> String {
                dyn_error_type_name(self)
            }
            fn as_std_error(&self) -> &(dyn StdError + 'static) {
                self
            }
        }
    )*};
}
error_object!(
    dyn StdError + 'static,
    dyn StdError + Send + 'static,
    dyn StdError + Send + Sync + 'static
);

/// The type inside a `dyn Error`, found by asking for the types a handler most often
/// boxes. Anything else (including the private type that `String` boxes into) is `Error`.
fn dyn_error_type_name(error: &(dyn StdError + 'static)) -> String {
    use std::{char, env, fmt, io, net, num, str, string, time};
    macro_rules! first_match {
        ($($ty:ty),* $(,)?) => {
            $(if error.is::<$ty>() {
                return short_type_name(std::any::type_name::<$ty>());
            })*
        };
    }
    first_match!(
        io::Error,
        fmt::Error,
        serde_json::Error,
        num::ParseIntError,
        num::ParseFloatError,
        num::TryFromIntError,
        str::Utf8Error,
        str::ParseBoolError,
        string::FromUtf8Error,
        char::ParseCharError,
        net::AddrParseError,
        env::VarError,
        time::SystemTimeError,
    );
    "Error".to_owned()
}

/// The name a type is reported under: the last path segment without generic arguments,
/// such as `OrderError` for `my_app::OrderError<u8>`. A type literally named `Error` takes
/// its module's name too (`std::io::Error` is `IoError`, `serde_json::Error` is
/// `SerdeJsonError`), since `Error` alone tells a reader nothing.
pub(crate) fn short_type_name(full: &str) -> String {
    let path = full
        .split('<')
        .next()
        .unwrap_or(full)
        .trim_start_matches('&');
    let mut segments = path.rsplit("::").map(str::trim);
    let last = segments.next().unwrap_or_default();
    if last != "Error" {
        return last.to_owned();
    }
    match segments.find(|segment| !segment.eq_ignore_ascii_case("error")) {
        Some(module) => format!("{}Error", upper_camel_case(module)),
        None => last.to_owned(),
    }
}

fn upper_camel_case(snake: &str) -> String {
    snake
        .split('_')
        .flat_map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    /// Errors shaped as the AWS SDK's are (tests/aws-sdk.sh checks the real ones): an
    /// `SdkError` displays its kind, and its source displays the service's error.
    #[derive(Debug)]
    struct SdkShaped(&'static str, Option<TextError>);
    #[derive(Debug)]
    struct TextError(&'static str);

    impl fmt::Display for SdkShaped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for SdkShaped {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1.as_ref().map(|source| source as _)
        }
    }
    impl fmt::Display for TextError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }
    impl StdError for TextError {}

    #[test]
    fn an_aws_service_error_is_reported_under_its_code_boxed_or_not() {
        let modeled = SdkShaped(
            "service error",
            Some(TextError(
                "ResourceNotFoundException: Requested resource not found",
            )),
        );
        let report = Diagnostic::from_error(&modeled);
        assert_eq!(report.error_type, "ResourceNotFoundException");
        assert_eq!(
            report.error_message,
            "ResourceNotFoundException: Requested resource not found"
        );
        let boxed: Box<dyn StdError + Send + Sync> = Box::new(modeled);
        assert_eq!(
            from_dyn_error(boxed.as_ref()).error_type,
            "ResourceNotFoundException"
        );

        let unhandled = SdkShaped(
            "service error",
            Some(TextError("unhandled error (ThrottlingException)")),
        );
        assert_eq!(
            Diagnostic::from_error(&unhandled).error_type,
            "ThrottlingException"
        );
        let bare_code = SdkShaped("service error", Some(TextError("ConditionalCheckFailed")));
        assert_eq!(
            Diagnostic::from_error(&bare_code).error_type,
            "ConditionalCheckFailed"
        );
    }

    #[test]
    fn other_errors_that_say_service_error_keep_the_usual_report() {
        for error in [
            SdkShaped(
                "dispatch failure",
                Some(TextError("Io: connection refused")),
            ),
            SdkShaped("service error", None),
            SdkShaped("service error", Some(TextError("the table is gone"))),
            SdkShaped("service error", Some(TextError(""))),
        ] {
            assert_eq!(
                Diagnostic::from_error(&error).error_type,
                "SdkShaped",
                "{error:?}"
            );
        }
    }

    #[test]
    fn short_names() {
        assert_eq!(short_type_name("my_app::OrderError"), "OrderError");
        assert_eq!(
            short_type_name("my_app::Wrapper<alloc::string::String>"),
            "Wrapper"
        );
        assert_eq!(short_type_name("std::io::error::Error"), "IoError");
        assert_eq!(
            short_type_name("serde_json::error::Error"),
            "SerdeJsonError"
        );
        assert_eq!(short_type_name("core::fmt::Error"), "FmtError");
        assert_eq!(short_type_name("core::str::error::Utf8Error"), "Utf8Error");
        assert_eq!(short_type_name("Error"), "Error");
        assert_eq!(short_type_name("&str"), "str");
    }

    #[test]
    fn header_always_matches_what_lambda_accepts() {
        let long = "A".repeat(100_000);
        let cases = [
            ("OrderError", "Function.OrderError"),
            ("Utf8Error", "Function.UtfError"),
            ("Runtime.Panic", "Runtime.Panic"),
            (
                "Function.ResponseSizeTooLarge",
                "Function.ResponseSizeTooLarge",
            ),
            ("Runtime.bad name 1", "Runtime.Badname"),
            ("my.custom.kind", "Function.Kind"),
            ("str", "Function.Str"),
            ("E", "Function.Error"),
            ("", "Function.Error"),
            ("123", "Function.Error"),
            ("Ünïcode", "Function.Ncode"),
            (&long, &format!("Function.{}", "A".repeat(64))),
        ];
        for (error_type, header) in cases {
            let value = Diagnostic::new(error_type, "m").header_value();
            assert_eq!(value, header, "{error_type:?}");
            assert!(matches_lambda_pattern(&value), "{value}");
        }
    }

    /// `(Runtime|Function)\.[A-Z][a-zA-Z]+`, the form the Runtime API accepts.
    fn matches_lambda_pattern(value: &str) -> bool {
        let Some((prefix, name)) = value.split_once('.') else {
            return false;
        };
        matches!(prefix, "Runtime" | "Function")
            && name.len() >= 2
            && name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_alphabetic())
    }

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer failed")
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("inner cause")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
    impl StdError for Inner {}

    #[test]
    fn from_error_lists_the_source_chain() {
        let report = Diagnostic::from_error(&Outer(Inner));
        assert_eq!(report.error_type, "Outer");
        assert_eq!(report.error_message, "outer failed");
        assert_eq!(report.stack_trace, ["inner cause"]);
    }

    #[test]
    fn boxed_errors_name_known_inner_types() {
        let parse: Box<dyn StdError + Send + Sync> = "x".parse::<u8>().unwrap_err().into();
        assert_eq!(from_dyn_error(&*parse).error_type, "ParseIntError");
        let io: Box<dyn StdError> = std::io::Error::other("disk").into();
        assert_eq!(from_dyn_error(&*io).error_type, "IoError");
        let text: Box<dyn StdError> = "plain text".into();
        let report = from_dyn_error(&*text);
        assert_eq!(report.error_type, "Error");
        assert_eq!(report.error_message, "plain text");
    }

    #[test]
    fn trait_objects_given_to_from_error_take_the_dynamic_path() {
        let parse: Box<dyn StdError + Send + Sync> = "x".parse::<u8>().unwrap_err().into();
        assert_eq!(Diagnostic::from_error(&*parse).error_type, "ParseIntError");
        let io: Box<dyn StdError + Send> = Box::new(std::io::Error::other("disk"));
        assert_eq!(Diagnostic::from_error(&*io).error_type, "IoError");
        let text: Box<dyn StdError> = "plain text".into();
        let report = Diagnostic::from_error(&*text);
        assert_eq!(
            (report.error_type.as_str(), report.error_message.as_str()),
            ("Error", "plain text")
        );
        let unknown: Box<dyn StdError + Send + Sync> = Box::new(Outer(Inner));
        let report = Diagnostic::from_error(&*unknown);
        assert_eq!(report.error_type, "Error");
        assert_eq!(report.stack_trace, ["inner cause"]);
    }

    #[test]
    fn json_body_has_the_three_fields() {
        let report =
            Diagnostic::new("OrderError", "no \"stock\"").with_stack_trace(vec!["a".into()]);
        let json = String::from_utf8(report.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"errorType":"OrderError","errorMessage":"no \"stock\"","stackTrace":["a"]}"#
        );
    }
}
