//! Choosing the error report for a handler's error type `E`, where `E` is concrete: in
//! the generated code.
//!
//! A blanket impl per case would collide (an impl for every `E: Error` overlaps one for
//! `String`, E0119), so each case is a trait implemented for `ErrorRef<E>` behind a
//! different number of references; method lookup, which tries the fewest dereferences
//! first, picks the first case that applies and returns its tag, and the tag reports:
//!
//! ```text
//! (&&&&&&ErrorRef(&error)).lambda_error_kind().report(&error)
//! ```
//!
//! The last case applies to every type, so an error type that fits none fails at its
//! `report` bound, `Reportable`, with one message at the user's type. The order is the
//! one documented on `Diagnose`.

use crate::diagnostic::{ErrorValue, from_dyn_error, short_type_name};
use crate::{Diagnose, Diagnostic};
use std::error::Error as StdError;
use std::fmt::Display;

/// A borrowed error, the receiver of the `Via*` traits.
pub struct ErrorRef<'a, E: ?Sized>(pub &'a E);

macro_rules! error_case {
    ($(#[$doc:meta])* $via:ident, $kind:ident, [$($refs:tt)*], $bound:path, |$error:ident| $report:expr) => {
        $(#[$doc])*
        pub trait $via {
            /// The case.
            fn lambda_error_kind(&self) -> $kind {
                $kind
            }
        }
        impl<E: $bound + ?Sized> $via for $($refs)* ErrorRef<'_, E> {}

        $(#[$doc])*
        pub struct $kind;
        impl $kind {
            /// The report.
            pub fn report<E: $bound + ?Sized>(self, $error: &E) -> Diagnostic {
                $report
            }
        }
    };
}

error_case!(
    /// Case 1: the user's own [`Diagnose`] implementation.
    ViaDiagnose, DiagnoseKind, [&&&&&], Diagnose, |error| error.diagnostic()
);
error_case!(
    /// Case 2: a `std::error::Error`.
    ViaError, ErrorKind, [&&&&], ErrorValue, |error| Diagnostic::from_error(error)
);
error_case!(
    /// Case 3a: a boxed `dyn Error + Send + Sync`, or a type like `anyhow::Error`.
    ViaDynErrorSendSync, DynErrorSendSyncKind, [&&&], AsDynErrorSendSync, |error| from_dyn_error(error.as_ref())
);
error_case!(
    /// Case 3b: a boxed `dyn Error`.
    ViaDynError, DynErrorKind, [&&], AsDynError, |error| from_dyn_error(error.as_ref())
);
error_case!(
    /// Case 4: text, such as `String` or `&'static str`.
    ViaText, TextKind, [&], AsStr, |error| Diagnostic::new("Error", error.as_ref())
);
/// Case 5: anything else. Applies to every type, so that a type that is not even
/// `Display` fails at [`DisplayKind::report`], whose bound names the problem.
pub trait ViaDisplay {
    /// The case.
    fn lambda_error_kind(&self) -> DisplayKind {
        DisplayKind
    }
}
impl<E: ?Sized> ViaDisplay for ErrorRef<'_, E> {}

/// Case 5: anything else, which must at least be `Display`.
pub struct DisplayKind;
impl DisplayKind {
    /// The report.
    pub fn report<E: Reportable + ?Sized>(self, error: &E) -> Diagnostic {
        Diagnostic::new(
            short_type_name(std::any::type_name::<E>()),
            error.to_string(),
        )
    }
}

/// `AsRef<dyn Error + Send + Sync>`, as one path for `error_case!`.
pub trait AsDynErrorSendSync: AsRef<dyn StdError + Send + Sync + 'static> {}
impl<E: AsRef<dyn StdError + Send + Sync + 'static> + ?Sized> AsDynErrorSendSync for E {}

/// `AsRef<dyn Error>`, as one path for `error_case!`.
pub trait AsDynError: AsRef<dyn StdError + 'static> {}
impl<E: AsRef<dyn StdError + 'static> + ?Sized> AsDynError for E {}

/// `AsRef<str>`, as one path for `error_case!`.
pub trait AsStr: AsRef<str> {}
impl<E: AsRef<str> + ?Sized> AsStr for E {}

/// What every error type must be: something that can be displayed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be reported as a Lambda error",
    label = "the error type of a handler must implement `std::fmt::Display`",
    note = "implement `std::error::Error` or `Display` for it, or `lambda_core::Diagnose` to choose the report"
)]
pub trait Reportable: Display {}
impl<E: Display + ?Sized> Reportable for E {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    macro_rules! report {
        ($error:expr) => {{
            let error = $error;
            (&&&&&&ErrorRef(&error)).lambda_error_kind().report(&error)
        }};
    }

    #[derive(Debug)]
    struct Custom;
    impl fmt::Display for Custom {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("custom")
        }
    }
    impl StdError for Custom {}
    impl Diagnose for Custom {
        fn diagnostic(&self) -> Diagnostic {
            Diagnostic::new("Chosen", "by the user")
        }
    }

    struct DisplayOnly;
    impl fmt::Display for DisplayOnly {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("display only")
        }
    }

    #[test]
    fn the_users_choice_comes_first() {
        assert_eq!(report!(Custom), Diagnostic::new("Chosen", "by the user"));
    }

    #[test]
    fn std_errors_report_their_type() {
        let report = report!(std::io::Error::other("disk full"));
        assert_eq!(
            (report.error_type.as_str(), report.error_message.as_str()),
            ("IoError", "disk full")
        );
        let report = report!("x".parse::<i32>().unwrap_err());
        assert_eq!(report.error_type, "ParseIntError");
    }

    #[test]
    fn boxed_errors_report_the_type_inside_when_known() {
        let boxed: Box<dyn StdError + Send + Sync> = "x".parse::<f64>().unwrap_err().into();
        assert_eq!(report!(boxed).error_type, "ParseFloatError");
        let boxed: Box<dyn StdError> = Box::new(Custom);
        let report = report!(boxed);
        assert_eq!(
            (report.error_type.as_str(), report.error_message.as_str()),
            ("Error", "custom")
        );
    }

    #[test]
    fn text_is_an_error_with_that_message() {
        assert_eq!(
            report!(String::from("no stock")),
            Diagnostic::new("Error", "no stock")
        );
        assert_eq!(report!("no stock"), Diagnostic::new("Error", "no stock"));
    }

    #[test]
    fn other_display_types_report_their_type_name() {
        assert_eq!(
            report!(DisplayOnly),
            Diagnostic::new("DisplayOnly", "display only")
        );
    }
}
