//! The generator's configuration: which spec files form which API, and every choice the
//! specs themselves do not make (names, base-path variables, overlays, the shared error).
//!
//! The generator knows nothing about any particular API; everything specific to one lives
//! in this file's data, read from TOML.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::failure::FailureAnswers;

/// A parsed config file plus the directory its spec paths are relative to.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The generated package.
    pub package: PackageConfig,
    /// Placeholders in `basePath` and the values each one takes: every route is mounted
    /// once per value.
    #[serde(default)]
    pub base_path_variables: BTreeMap<String, BasePathVariable>,
    /// The APIs to generate, in output order.
    #[serde(rename = "api")]
    pub apis: Vec<ApiConfig>,
    /// JSON merge patches (RFC 7386) applied to spec documents as they are loaded: for facts
    /// a spec states only in prose.
    #[serde(default, rename = "overlay")]
    pub overlays: Vec<Overlay>,
    /// Names for schemas, keyed by `file#pointer` of the schema (`file#` for a whole file).
    #[serde(default)]
    pub type_names: BTreeMap<String, String>,
    /// Rust types of one's own, used in place of the types schemas would generate.
    #[serde(default)]
    pub replace: ReplaceConfig,
    /// String formats the crate gives a type of its own, keyed by the `format` name
    /// (`mx-user-id`): a newtype that holds only values of the format.
    #[serde(default)]
    pub formats: BTreeMap<String, FormatConfig>,
    /// Which strings are secrets: their type prints `[redacted]` in `Debug`.
    #[serde(default)]
    pub secrets: SecretsConfig,
    /// Dependencies the generated crate gets besides its own (for the `replace` types), as
    /// Cargo's `[dependencies]` writes them.
    #[serde(default)]
    pub dependencies: BTreeMap<String, toml::Value>,
    /// Whether string enums accept values the spec does not list.
    #[serde(default)]
    pub enums: EnumPolicy,
    /// The error body every operation shares, and the errors the router raises itself.
    #[serde(default)]
    pub errors: ErrorsConfig,
    /// Behaviour of the generated HTTP layer.
    #[serde(default)]
    pub router: RouterConfig,
    /// Directory the spec paths are relative to. In the file it is relative to the config
    /// file's own directory (the default), so a config can sit apart from the specs it
    /// reads (`spec_root = "../../upstream/data"`); once loaded it is the joined path.
    #[serde(default)]
    pub spec_root: PathBuf,
    /// The config file's path as given, for messages and generated headers.
    #[serde(skip)]
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackageConfig {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BasePathVariable {
    /// The literal text in `basePath` that stands for the variable.
    pub placeholder: String,
    /// The values, the first being the default.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// snake_case name: the generated module and the trait are named after it.
    pub name: String,
    /// Human title, for docs.
    pub title: String,
    /// Root spec files, relative to the spec root. A `*` in the last component of an entry
    /// (`api/client-server/*.yaml`) stands for every file it matches, in name order.
    pub specs: Vec<String>,
    /// Names for operations without an `operationId`, keyed by `METHOD /path`.
    #[serde(default)]
    pub operation_ids: BTreeMap<String, String>,
    /// This API's own answers to a request whose credential cannot be used (missing,
    /// malformed, given twice), where they differ from `[errors.router]`'s: an identity
    /// server answers 401 `M_UNAUTHORIZED` where a homeserver says `M_MISSING_TOKEN`.
    #[serde(default)]
    pub credential_errors: BTreeMap<crate::failure::RouterFailure, crate::failure::FailureAnswer>,
    /// A Cargo feature per tag of its operations (`client-server-session-management`), for a
    /// user who needs only part of a large API; the API's own feature enables them all.
    #[serde(default)]
    pub tag_features: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// The spec file patched, relative to the spec root.
    pub file: String,
    /// JSON pointer of the value the patch is merged into.
    pub pointer: String,
    /// Why the overlay exists: shown in generated docs.
    pub reason: String,
    /// JSON pointers, relative to `pointer`, of values removed before the patch is merged:
    /// a merge patch deletes with `null`, which TOML cannot write.
    #[serde(default)]
    pub remove: Vec<String>,
    /// The merge patch.
    #[serde(default)]
    pub merge: serde_json::Value,
}

/// Rust types used in place of generated ones (as typify's `with_replacement` or
/// progenitor's `x-rust-type`): each a path to a type that serializes as the schema says.
/// The crate that defines it is one of the config's `[dependencies]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceConfig {
    /// By schema, keyed by `file#pointer` (`file#` for a whole file): every use of the
    /// schema is the Rust type, and the schema generates no type of its own.
    #[serde(default)]
    pub schemas: BTreeMap<String, String>,
    /// By string `format` (`mx-user-id`): every string of that format is the Rust type.
    #[serde(default)]
    pub formats: BTreeMap<String, String>,
}

/// A string format with a type of its own: every string of the format, in bodies,
/// parameters and paths, is this newtype, which parsing and deserializing refuse to build
/// from a value that breaks the rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormatConfig {
    /// The newtype's name, PascalCase (`UserId`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// What a value is, for the type's docs.
    pub description: String,
    /// A regular expression a value must match (Rust's `regex-lite` syntax; anchor it with
    /// `^...$` to match the whole value).
    #[serde(default)]
    pub pattern: Option<String>,
    /// The most bytes a value may have, in UTF-8.
    #[serde(default)]
    pub max_bytes: Option<usize>,
    /// A valid value: the docs show it, the round-trip test sends it.
    pub example: String,
}

impl FormatConfig {
    /// Why `value` is not of the format, if it is not: the same rule, in the same order, as
    /// the generated type's `parse`.
    pub fn problem(&self, value: &str) -> Option<String> {
        format_problem(self.pattern.as_deref(), self.max_bytes, value)
    }
}

/// Why `value` breaks a format's rule (at most `max_bytes`, then matching `pattern`), if it
/// does: the rule the generated type's `parse` keeps, for the generator's own checks.
pub fn format_problem(
    pattern: Option<&str>,
    max_bytes: Option<usize>,
    value: &str,
) -> Option<String> {
    if let Some(max) = max_bytes
        && value.len() > max
    {
        return Some(format!("longer than {max} bytes"));
    }
    let pattern = pattern?;
    match regex_lite::Regex::new(pattern) {
        Ok(regex) if regex.is_match(value) => None,
        Ok(_) => Some(format!("does not match `{pattern}`")),
        Err(error) => Some(format!("`{pattern}` is no regular expression: {error}")),
    }
}

/// Which strings are secrets (passwords, tokens, client secrets): their type,
/// `strings::Secret`, serializes as the string but prints `[redacted]` in `Debug`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// String formats that are secrets.
    pub formats: Vec<String>,
    /// Properties and parameters, by name on the wire, whose strings are secrets wherever
    /// they appear.
    pub properties: Vec<String>,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            // OpenAPI's own format for passwords.
            formats: vec!["password".into()],
            properties: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EnumPolicy {
    /// Unknown values deserialize into a fallback variant (as ruma does).
    #[default]
    Open,
    /// Unknown values are rejected.
    Closed,
}

/// The shared error. Without a `schema`, the generator defines one: a required string
/// `code` and an optional string `message`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ErrorsConfig {
    /// The schema of the shared error body, `file#pointer` (`file` for a whole file).
    pub schema: Option<String>,
    /// Name of the generated shared error type.
    pub type_name: String,
    /// The property carrying the machine-readable code.
    pub code_property: String,
    /// The property carrying the human-readable message.
    pub message_property: String,
    /// A property holding milliseconds to wait before retrying: copied into `Retry-After`.
    #[serde(default)]
    pub retry_after_property: Option<String>,
    /// Error responses (4xx, 5xx) that document no schema carry the shared error body.
    #[serde(default)]
    pub untyped_error_responses: bool,
    /// The standard codes, each with its meaning: they become the code enum's variants.
    pub codes: BTreeMap<String, String>,
    /// What the generated router answers for each failure it meets by itself, before (or
    /// instead of) calling an implementation; failures not named keep their defaults.
    pub router: FailureAnswers,
}

impl Default for ErrorsConfig {
    fn default() -> Self {
        ErrorsConfig {
            schema: None,
            type_name: "ApiError".into(),
            code_property: "code".into(),
            message_property: "message".into(),
            retry_after_property: None,
            untyped_error_responses: false,
            codes: BTreeMap::new(),
            router: FailureAnswers::default(),
        }
    }
}

impl ErrorsConfig {
    /// The configured schema as a schema-table key (`file#pointer`, path normalised).
    pub fn schema_key(&self) -> Option<String> {
        let schema = self.schema.as_deref()?;
        let (file, fragment) = schema.split_once('#').unwrap_or((schema, ""));
        Some(format!("{}#{fragment}", crate::paths::normalise(file)))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouterConfig {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// API keys passed in the query may also come as `Authorization: Bearer <key>`.
    pub bearer_header: bool,
    /// The CORS headers put on every response.
    #[serde(default)]
    pub cors: CorsConfig,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            body_limit: 1024 * 1024,
            bearer_header: false,
            cors: CorsConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CorsConfig {
    pub allow_origin: String,
    pub allow_methods: String,
    pub allow_headers: String,
}

impl CorsConfig {
    /// Why a value cannot be a header value, if one cannot: the router puts them on every
    /// response as they are, so they must be visible ASCII (spaces and tabs between).
    pub fn problem(&self) -> Option<String> {
        [
            ("allow_origin", &self.allow_origin),
            ("allow_methods", &self.allow_methods),
            ("allow_headers", &self.allow_headers),
        ]
        .into_iter()
        .find(|(_, value)| {
            value.is_empty()
                || value.trim() != value.as_str()
                || !value
                    .bytes()
                    .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        })
        .map(|(key, value)| {
            format!(
                "[router.cors] {key} = {value:?} is not a header value (visible ASCII, not empty)"
            )
        })
    }
}

impl Default for CorsConfig {
    fn default() -> Self {
        CorsConfig {
            allow_origin: "*".into(),
            allow_methods: "GET, POST, PUT, DELETE, OPTIONS".into(),
            allow_headers: "Origin, X-Requested-With, Content-Type, Accept, Authorization".into(),
        }
    }
}

impl Config {
    /// Reads and checks a config file; spec paths in it are relative to its directory.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let spec_root = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        Config::from_toml(&text, &path.display().to_string(), spec_root)
    }

    /// Parses config text; `name` is used in messages, `spec_root` anchors spec paths.
    pub fn from_toml(text: &str, name: &str, spec_root: PathBuf) -> Result<Config> {
        let config_error = |message: String| Error::Config {
            path: name.to_owned(),
            message,
        };
        let mut config: Config = toml::from_str(text).map_err(|e| config_error(e.to_string()))?;
        config.spec_root = if config.spec_root.as_os_str().is_empty() {
            spec_root
        } else {
            spec_root.join(&config.spec_root)
        };
        config.path = name.to_owned();
        if let Some(problem) = config.errors.router.problem() {
            return Err(config_error(problem));
        }
        if let Some(problem) = config.router.cors.problem() {
            return Err(config_error(problem));
        }
        if config.apis.is_empty() {
            return Err(config_error("no [[api]] is configured".into()));
        }
        for api in &config.apis {
            if !is_snake_case(&api.name) {
                return Err(config_error(format!(
                    "api name `{}` must be snake_case (it names a Rust module)",
                    api.name
                )));
            }
            if ["server", "axum", "client", "reqwest", "default"].contains(&api.name.as_str()) {
                return Err(config_error(format!(
                    "api name `{}` is taken: it would name the crate's Cargo feature for the API, beside `server`, `axum`, `client`, `reqwest` and `default`",
                    api.name
                )));
            }
            if api.specs.is_empty() {
                return Err(config_error(format!("api `{}` lists no specs", api.name)));
            }
            for (failure, answer) in &api.credential_errors {
                if !failure.is_credential() {
                    return Err(config_error(format!(
                        "api `{}`: [credential_errors] `{}` is no credential failure: only `missing_credential`, `malformed_credential` and `ambiguous_credential` may differ per API (the others are answered before the API is known, or by the implementation)",
                        api.name,
                        failure.name()
                    )));
                }
                if let Some(problem) = answer.problem() {
                    return Err(config_error(format!(
                        "api `{}`: [credential_errors] {}: {problem}",
                        api.name,
                        failure.name()
                    )));
                }
            }
        }
        for api in &mut config.apis {
            let mut specs = Vec::new();
            for entry in &api.specs {
                specs.extend(expand(&config.spec_root, entry).map_err(config_error)?);
            }
            api.specs = specs;
        }
        let replacements = config.replace.schemas.iter().chain(&config.replace.formats);
        for (what, rust_type) in replacements {
            if syn::parse_str::<syn::Type>(rust_type).is_err() {
                return Err(config_error(format!(
                    "[replace] `{what}`: `{rust_type}` is not a Rust type path"
                )));
            }
        }
        if let Some(problem) = config.formats_problem() {
            return Err(config_error(problem));
        }
        for (name, variable) in &config.base_path_variables {
            if variable.values.is_empty() {
                return Err(config_error(format!(
                    "base path variable `{name}` has no values"
                )));
            }
        }
        Ok(config)
    }
}

impl Config {
    /// What is wrong with `[formats]`, if anything: each type name a distinct PascalCase
    /// identifier, no format both a type and a secret or replaced, each rule valid and its
    /// example of the format.
    fn formats_problem(&self) -> Option<String> {
        let mut names = std::collections::BTreeSet::new();
        for (format, declared) in &self.formats {
            let name = &declared.type_name;
            let pascal = name.starts_with(|c: char| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric());
            if !pascal {
                return Some(format!(
                    "[formats.{format}] type `{name}` must be a PascalCase identifier"
                ));
            }
            if !names.insert(name) || *name == self.errors.type_name {
                return Some(format!(
                    "[formats.{format}] type `{name}` names another type too"
                ));
            }
            if self.secrets.formats.contains(format) || self.replace.formats.contains_key(format) {
                return Some(format!(
                    "[formats.{format}] the format is also a secret or replaced: choose one"
                ));
            }
            if let Some(problem) = declared.problem(&declared.example) {
                return Some(format!(
                    "[formats.{format}] example {:?} is not of the format: {problem}",
                    declared.example
                ));
            }
        }
        None
    }
}

/// The files a `specs` entry names: itself, or with a `*` in its last component, every file
/// of that directory whose name matches, sorted, so the output does not depend on the order
/// the file system lists them in.
fn expand(spec_root: &Path, entry: &str) -> std::result::Result<Vec<String>, String> {
    let (dir, pattern) = entry.rsplit_once('/').unwrap_or(("", entry));
    if !pattern.contains('*') {
        return Ok(vec![entry.to_owned()]);
    }
    if dir.contains('*') {
        return Err(format!(
            "spec `{entry}`: only the last path component may contain `*`"
        ));
    }
    let listing = std::fs::read_dir(spec_root.join(dir))
        .map_err(|e| format!("spec `{entry}`: cannot list `{dir}`: {e}"))?;
    let mut files = Vec::new();
    for dir_entry in listing {
        let dir_entry = dir_entry.map_err(|e| format!("spec `{entry}`: {e}"))?;
        let is_file = dir_entry.file_type().is_ok_and(|kind| kind.is_file());
        let name = dir_entry.file_name().to_string_lossy().into_owned();
        if is_file && glob_matches(pattern, &name) {
            files.push(if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            });
        }
    }
    if files.is_empty() {
        return Err(format!("spec `{entry}` matches no file"));
    }
    files.sort();
    Ok(files)
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
fn glob_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.len() >= part.len() && rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_keys_by_name() {
        let err = Config::from_toml(
            "[package]\nname='x'\ndescription='y'\nbogus=1\n[[api]]\nname='a'\ntitle='A'\nspecs=['a.yaml']\n",
            "test.toml",
            PathBuf::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("test.toml") && err.contains("bogus"), "{err}");
    }

    #[test]
    fn rejects_api_names_that_are_not_modules() {
        let err = Config::from_toml(
            "[package]\nname='x'\ndescription='y'\n[[api]]\nname='Client-Server'\ntitle='A'\nspecs=['a.yaml']\n",
            "test.toml",
            PathBuf::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("snake_case"), "{err}");
    }

    #[test]
    fn rejects_cors_values_that_are_no_header_values_and_answers_that_are_no_errors() {
        let load = |extra: &str| {
            Config::from_toml(
                &format!("[package]\nname='x'\ndescription='y'\n[[api]]\nname='a'\ntitle='A'\nspecs=['a.yaml']\n{extra}"),
                "test.toml",
                PathBuf::new(),
            )
            .unwrap_err()
            .to_string()
        };
        let cors = load(
            "[router]\nbody_limit=1\nbearer_header=false\n[router.cors]\nallow_origin='*'\nallow_methods='GET'\nallow_headers='Authorization\u{e9}'\n",
        );
        assert!(
            cors.contains("allow_headers") && cors.contains("header value"),
            "{cors}"
        );
        let answer = load("[errors.router]\nnot_found={status=200,code='X',message='Y'}\n");
        assert!(
            answer.contains("not_found") && answer.contains("200"),
            "{answer}"
        );
        let renamed = load("[errors.transport]\nnot_json={status=400,code='X'}\n");
        assert!(renamed.contains("transport"), "{renamed}");
    }

    #[test]
    fn globs_match_any_run_of_characters() {
        assert!(glob_matches("*.yaml", "login.yaml"));
        assert!(glob_matches("v2_*.yaml", "v2_auth.yaml"));
        assert!(glob_matches("a*b*c", "abc"));
        assert!(!glob_matches("*.yaml", "login.yml"));
        assert!(!glob_matches("v2_*.yaml", "versions.yaml"));
        assert!(!glob_matches("a*a", "a"));
    }

    #[test]
    fn spec_globs_expand_to_the_sorted_files_and_a_spec_root_moves_them() {
        let dir = std::env::temp_dir().join(format!("config-glob-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data/api")).unwrap();
        for name in ["b.yaml", "a.yaml", "notes.md"] {
            std::fs::write(dir.join("data/api").join(name), "").unwrap();
        }
        let config = Config::from_toml(
            "spec_root='data'\n[package]\nname='x'\ndescription='y'\n[[api]]\nname='a'\ntitle='A'\nspecs=['api/*.yaml', 'other.yaml']\n",
            "test.toml",
            dir.clone(),
        )
        .unwrap();
        assert_eq!(config.spec_root, dir.join("data"));
        assert_eq!(
            config.apis[0].specs,
            ["api/a.yaml", "api/b.yaml", "other.yaml"]
        );
        let err = Config::from_toml(
            "spec_root='data'\n[package]\nname='x'\ndescription='y'\n[[api]]\nname='a'\ntitle='A'\nspecs=['api/*.json']\n",
            "test.toml",
            dir.clone(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`api/*.json` matches no file"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_api_answers_only_credential_failures_its_own_way() {
        let load = |answers: &str| {
            Config::from_toml(
                &format!(
                    "[package]\nname='x'\ndescription='y'\n[[api]]\nname='a'\ntitle='A'\nspecs=['a.yaml']\n[api.credential_errors]\n{answers}"
                ),
                "test.toml",
                PathBuf::new(),
            )
        };
        let config =
            load("missing_credential = { status = 401, code = 'M_UNAUTHORIZED', message = 'No' }")
                .unwrap();
        assert_eq!(
            config.apis[0].credential_errors[&crate::failure::RouterFailure::MissingCredential]
                .code,
            "M_UNAUTHORIZED"
        );
        let err = load("not_found = { status = 404, code = 'X', message = 'No' }")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`not_found` is no credential failure"),
            "{err}"
        );
        let err = load("missing_credential = { status = 200, code = 'X', message = 'No' }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an error status"), "{err}");
    }

    #[test]
    fn refuses_formats_whose_rule_or_name_is_wrong() {
        let refused = |formats: &str| {
            Config::from_toml(
                &format!("[package]\nname='x'\ndescription='y'\n[[api]]\nname='a'\ntitle='A'\nspecs=['a.yaml']\n{formats}"),
                "test.toml",
                PathBuf::new(),
            )
            .unwrap_err()
            .to_string()
        };
        let format = |ty: &str, pattern: &str, example: &str| {
            format!(
                "[formats.x-id]\ntype='{ty}'\ndescription='d'\npattern='{pattern}'\nmax_bytes=5\nexample='{example}'\n"
            )
        };
        let err = refused(&format("Id", "^@.+$", "nope"));
        assert!(
            err.contains("example \"nope\" is not of the format: does not match"),
            "{err}"
        );
        let err = refused(&format("Id", "^@.+$", "@toolong"));
        assert!(err.contains("longer than 5 bytes"), "{err}");
        let err = refused(&format("Id", "^(@", "@a"));
        assert!(err.contains("is no regular expression"), "{err}");
        let err = refused(&format("id", "^@.+$", "@a"));
        assert!(err.contains("must be a PascalCase identifier"), "{err}");
        let err = refused(&format!(
            "{}[secrets]\nformats=['x-id']\n",
            format("Id", "^@.+$", "@a")
        ));
        assert!(err.contains("also a secret or replaced"), "{err}");
    }

    #[test]
    fn rejects_replacements_that_are_no_rust_type() {
        let err = Config::from_toml(
            "[package]\nname='x'\ndescription='y'\n[[api]]\nname='a'\ntitle='A'\nspecs=['a.yaml']\n[replace.formats]\nmx-user-id = 'my types::UserId'\n",
            "test.toml",
            PathBuf::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`mx-user-id`: `my types::UserId` is not a Rust type path"),
            "{err}"
        );
    }
}
