//! Golden tests: each fixture under `fixtures/` generates a crate that must equal its
//! committed golden under `goldens/`. The goldens are workspace members, so each must also
//! compile, pass clippy and pass its own example tests.
//!
//! To accept new output: `ACCEPT_GOLDENS=1 cargo test -p tests --test goldens`.

use std::path::{Path, PathBuf};

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tests_dir().join("fixtures"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_fixture_generates_its_golden() {
    let accept = std::env::var_os("ACCEPT_GOLDENS").is_some();
    let mut stale = Vec::new();
    for name in fixtures() {
        let config = tests_dir()
            .join("fixtures")
            .join(&name)
            .join("codegen.toml");
        let files = generator::Generator::from_config_file(&config)
            .and_then(|g| g.generate())
            .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
        let golden = tests_dir().join("goldens").join(&name);
        let changes = if accept {
            generator::output::write(&golden, &files)
        } else {
            generator::output::compare(&golden, &files)
        }
        .unwrap();
        if !accept {
            for change in &changes {
                eprint!("{}", change.diff);
            }
        }
        if !changes.is_empty() {
            stale.push(name);
        }
    }
    assert!(
        accept || stale.is_empty(),
        "goldens differ from the generator's output: {stale:?} (diffs above; accept with ACCEPT_GOLDENS=1)"
    );
}

#[test]
fn every_golden_has_a_fixture() {
    let fixtures = fixtures();
    for entry in std::fs::read_dir(tests_dir().join("goldens")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(fixtures.contains(&name), "goldens/{name} has no fixture");
    }
}
