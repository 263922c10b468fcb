//! What the macro accepts, and the exact errors for what it does not. The `.stderr`
//! files depend on the rustc version: refresh them with `TRYBUILD=overwrite` and review
//! the diff.

#[test]
fn ui() {
    // trybuild runs each ui/pass case through `cargo run`, which uses this runner (see
    // ui/run-pass.sh): with `--help`, as a binary with no event would exit 1.
    let runner = format!(
        "CARGO_TARGET_{}_UNKNOWN_LINUX_GNU_RUNNER",
        std::env::consts::ARCH.to_ascii_uppercase()
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/run-pass.sh");
    // SAFETY: this test binary has one test, and nothing else in it reads the
    // environment while this runs.
    unsafe { std::env::set_var(runner, script) };
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
