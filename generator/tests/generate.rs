//! The whole generator on the vendored specs: deterministic bytes, the committed crate is
//! what the specs give, and `generate --check` fails with a diff when either side changes.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::copy_dir;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn generate_check(config: &Path, out: &Path) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_generator"))
        .arg("generate")
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--check")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn two_runs_give_identical_bytes() {
    let config = workspace().join("specs/codegen.toml");
    let first = generator::Generator::from_config_file(&config)
        .unwrap()
        .generate()
        .unwrap();
    let second = generator::Generator::from_config_file(&config)
        .unwrap()
        .generate()
        .unwrap();
    assert_eq!(first, second);
}

#[test]
fn the_committed_crate_is_what_the_specs_generate() {
    let (code, diff) = generate_check(
        &workspace().join("specs/codegen.toml"),
        &workspace().join("generated"),
    );
    assert_eq!(
        code,
        Some(0),
        "generated/ is stale; run `cargo xtask codegen`:\n{diff}"
    );
}

#[test]
fn check_fails_with_a_diff_after_a_spec_description_changes() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&workspace().join("specs"), &dir.path().join("specs"));
    let spec = dir.path().join("specs/api/client-server/login.yaml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace(
            "summary: Authenticates the user.",
            "summary: Logs the user in.",
        ),
    )
    .unwrap();
    let (code, diff) = generate_check(
        &dir.path().join("specs/codegen.toml"),
        &workspace().join("generated"),
    );
    assert_eq!(code, Some(1));
    assert!(
        diff.contains("+    /// Logs the user in.")
            && diff.contains("-    /// Authenticates the user."),
        "{diff}"
    );
}

#[test]
fn check_fails_with_a_diff_after_a_generated_file_is_edited_added_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("generated");
    copy_dir(&workspace().join("generated"), &out);
    let config = workspace().join("specs/codegen.toml");
    assert_eq!(generate_check(&config, &out).0, Some(0));

    let types = out.join("src/types.rs");
    let text = std::fs::read_to_string(&types).unwrap();
    std::fs::write(
        &types,
        text.replacen(
            "pub struct LoginBody {",
            "pub struct LoginBody {\n    pub sneaky: u8,",
            1,
        ),
    )
    .unwrap();
    let (code, diff) = generate_check(&config, &out);
    assert_eq!(code, Some(1));
    assert!(diff.contains("-    pub sneaky: u8,"), "{diff}");

    std::fs::write(&types, text).unwrap();
    std::fs::write(out.join("src/extra.rs"), "// not generated\n").unwrap();
    let (code, diff) = generate_check(&config, &out);
    assert_eq!(code, Some(1));
    assert!(diff.contains("-// not generated"), "{diff}");

    std::fs::remove_file(out.join("src/extra.rs")).unwrap();
    std::fs::remove_file(out.join("API.md")).unwrap();
    let (code, diff) = generate_check(&config, &out);
    assert_eq!(code, Some(1));
    assert!(diff.contains("+++ b/API.md"), "{diff}");
}
