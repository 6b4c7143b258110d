//! Putting generated files on disk, or comparing them with what is there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One file of the generated crate, its path relative to the crate's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// A file whose generated contents differ from the one on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    /// A unified diff from the disk's contents to the generated ones.
    pub diff: String,
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Every file below `dir`, relative to it, `/`-separated.
fn files_on_disk(dir: &Path) -> Result<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    if !dir.exists() {
        return Ok(found);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).map_err(|e| io_error(&current, e))? {
            let path = entry.map_err(|e| io_error(&current, e))?.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                found.insert(parts.join("/"));
            }
        }
    }
    Ok(found)
}

fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// How `dir` differs from `files`: changed, missing and extra files.
pub fn compare(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<Change>> {
    let mut on_disk = files_on_disk(dir)?;
    let mut changes = Vec::new();
    for file in files {
        let path = dir.join(&file.path);
        if on_disk.remove(&file.path) {
            let old = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
            let old = String::from_utf8_lossy(&old);
            if old != file.contents {
                changes.push(Change {
                    path: file.path.clone(),
                    kind: ChangeKind::Modified,
                    diff: unified_diff(&file.path, &old, &file.contents),
                });
            }
        } else {
            changes.push(Change {
                path: file.path.clone(),
                kind: ChangeKind::Added,
                diff: unified_diff(&file.path, "", &file.contents),
            });
        }
    }
    for extra in on_disk {
        let path = dir.join(&extra);
        let old = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
        changes.push(Change {
            diff: unified_diff(&extra, &String::from_utf8_lossy(&old), ""),
            path: extra,
            kind: ChangeKind::Removed,
        });
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// One line per change (`updated generated/src/lib.rs`), for shells to print.
pub fn summary(dir: &Path, changes: &[Change]) -> String {
    changes
        .iter()
        .map(|change| {
            let verb = match change.kind {
                ChangeKind::Added => "added",
                ChangeKind::Modified => "updated",
                ChangeKind::Removed => "removed",
            };
            format!("{verb} {}\n", dir.join(&change.path).display())
        })
        .collect()
}

/// Makes `dir` hold exactly `files`, touching only what changed; returns the changes.
pub fn write(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<Change>> {
    let changes = compare(dir, files)?;
    for change in &changes {
        let path = dir.join(&change.path);
        match change.kind {
            ChangeKind::Removed => std::fs::remove_file(&path).map_err(|e| io_error(&path, e))?,
            ChangeKind::Added | ChangeKind::Modified => {
                let file = files
                    .iter()
                    .find(|f| f.path == change.path)
                    .expect("changes come from files");
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
                }
                std::fs::write(&path, &file.contents).map_err(|e| io_error(&path, e))?;
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn write_then_compare_finds_nothing_and_edits_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![file("a.txt", "one\n"), file("src/b.rs", "two\n")];
        assert_eq!(write(dir.path(), &files).unwrap().len(), 2);
        assert!(compare(dir.path(), &files).unwrap().is_empty());

        std::fs::write(dir.path().join("src/b.rs"), "edited\n").unwrap();
        std::fs::write(dir.path().join("extra.txt"), "x\n").unwrap();
        std::fs::remove_file(dir.path().join("a.txt")).unwrap();
        let changes = compare(dir.path(), &files).unwrap();
        let kinds: Vec<(&str, ChangeKind)> =
            changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("a.txt", ChangeKind::Added),
                ("extra.txt", ChangeKind::Removed),
                ("src/b.rs", ChangeKind::Modified)
            ]
        );
        assert!(
            changes[2].diff.contains("-edited\n+two\n"),
            "{}",
            changes[2].diff
        );
        write(dir.path(), &files).unwrap();
        assert!(compare(dir.path(), &files).unwrap().is_empty());
    }
}

/// Whether [`sync`] writes the directory or only compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// What [`sync`] did to a directory, or (checking) found in it.
#[derive(Debug, Clone)]
pub struct Synced {
    /// The directory as the user named it, for messages.
    pub shown_as: PathBuf,
    pub mode: Mode,
    /// How many files the specs generate.
    pub generated: usize,
    pub changes: Vec<Change>,
}

/// Makes `dir` hold exactly `files` ([`Mode::Write`]), or compares them ([`Mode::Check`]).
/// `shown_as` names the directory in the report.
pub fn sync(dir: &Path, shown_as: &Path, files: &[GeneratedFile], mode: Mode) -> Result<Synced> {
    let changes = match mode {
        Mode::Write => write(dir, files)?,
        Mode::Check => compare(dir, files)?,
    };
    Ok(Synced {
        shown_as: shown_as.to_path_buf(),
        mode,
        generated: files.len(),
        changes,
    })
}

impl Synced {
    /// A check that found the directory stale; a write always succeeds.
    pub fn is_stale(&self) -> bool {
        self.mode == Mode::Check && !self.changes.is_empty()
    }

    /// What a shell prints on standard output: a stale check's diffs and changes, or what a
    /// write changed.
    pub fn report(&self) -> String {
        let dir = self.shown_as.display();
        match self.mode {
            Mode::Check if self.changes.is_empty() => {
                format!("{dir} is up to date ({} files)\n", self.generated)
            }
            Mode::Check => {
                let diffs: String = self.changes.iter().map(|c| c.diff.as_str()).collect();
                format!("{diffs}{}", summary(&self.shown_as, &self.changes))
            }
            Mode::Write => format!(
                "{}{} file(s) changed, {} generated\n",
                summary(&self.shown_as, &self.changes),
                self.changes.len(),
                self.generated
            ),
        }
    }

    /// Why a check failed, for standard error.
    pub fn staleness(&self) -> Option<String> {
        self.is_stale().then(|| {
            format!(
                "{} is stale: {} file(s) differ from what the specs generate",
                self.shown_as.display(),
                self.changes.len()
            )
        })
    }
}
