//! What the macro accepts, and the exact errors for what it does not. The `.stderr`
//! files depend on the rustc version: refresh them with `TRYBUILD=overwrite` and review
//! the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
