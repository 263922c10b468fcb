//! The README's install line and first example, as a newcomer uses them: a new crate
//! outside the workspace, the dependency lines copied from "Install" (the path rewritten
//! to this checkout), the first example as `main.rs`, run once with an event on standard
//! input. It fails when either stops working.

use lambda_tests::{Function, cargo_build};
use std::path::Path;

/// The first fenced block of `language` after `heading` (or anywhere, with `None`).
fn block(readme: &str, heading: Option<&str>, language: &str) -> String {
    let from = heading.map_or(0, |heading| {
        readme
            .find(heading)
            .unwrap_or_else(|| panic!("the README has no {heading:?}"))
    });
    let fence = format!("```{language}\n");
    let start = readme[from..]
        .find(&fence)
        .map(|at| from + at + fence.len())
        .unwrap_or_else(|| panic!("no {language} block"));
    let end = readme[start..]
        .find("```")
        .map(|at| start + at)
        .unwrap_or(start);
    readme[start..end].to_owned()
}

#[test]
fn the_readmes_install_line_and_first_example_build_and_answer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let install = block(&readme, Some("## Install"), "toml");
    let checkout = root
        .join("lambda-core")
        .canonicalize()
        .expect("the checkout");
    let install = install.replace(
        "path = \"../lambda-core/lambda-core\"",
        &format!("path = {:?}", checkout.to_string_lossy()),
    );
    assert!(install.contains(&*checkout.to_string_lossy()), "{install}");
    let example = block(&readme, None, "rust");

    // Outside the workspace: a crate of its own, as a newcomer's is.
    let dir = std::env::temp_dir().join(format!("lambda-newcomer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("a temporary crate");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"newcomer\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{install}\n[workspace]\n"),
    )
    .expect("Cargo.toml");
    std::fs::write(dir.join("src/main.rs"), &example).expect("main.rs");

    let target = root.join("target/readme");
    cargo_build(
        &dir.join("Cargo.toml"),
        &target,
        &[],
        "the README's install line and first example",
    );
    let binary = target.join("debug/newcomer");
    let output = Function::run_with_stdin(&binary.to_string_lossy(), &[], "{\"id\": 7}\n");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    let answer: serde_json::Value = serde_json::from_str(output.stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {}", output.stdout));
    assert_eq!(answer["order"], 7);
    assert!(
        answer["request"].as_str().is_some_and(|id| !id.is_empty()),
        "{answer}"
    );
}
