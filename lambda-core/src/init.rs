//! `init` may return `S` or `Result<S, E>`; the macro sees only a path, so the value's
//! type picks the case, by the same layered-reference method lookup as
//! [`report`](crate::report).

use crate::Diagnostic;

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
