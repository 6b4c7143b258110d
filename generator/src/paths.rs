//! Paths of spec files, relative to the spec root and `/`-separated on every platform.

/// Normalises a `/`-separated relative path (`a/./b/../c` → `a/c`).
pub fn normalise(path: &str) -> String {
    join_relative("", path).unwrap_or_else(|| path.to_owned())
}

/// Resolves `reference` relative to the directory of `from`; `None` when it is absolute,
/// remote, or climbs out of the spec root.
pub fn join_relative(from: &str, reference: &str) -> Option<String> {
    if reference.starts_with('/') || reference.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = from.split('/').filter(|p| !p.is_empty()).collect();
    parts.pop();
    for part in reference.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_normalise() {
        assert_eq!(
            join_relative("api/identity/v2.yaml", "../client-server/./d/e.yaml").as_deref(),
            Some("api/client-server/d/e.yaml")
        );
        assert_eq!(join_relative("a.yaml", "../../x.yaml"), None);
        assert_eq!(join_relative("a.yaml", "http://x/y.yaml"), None);
    }
}
