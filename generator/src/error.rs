//! The generator's error type: every failure names where in the specs it happened.

use std::fmt;

use serde::Serialize;

/// A place in the spec set: a file (relative to the spec root), a JSON pointer into it and,
/// where the loader could find it, the 1-based line the pointer starts on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub pointer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Location {
    pub fn new(file: impl Into<String>, pointer: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            pointer: pointer.into(),
            line: None,
        }
    }

    /// The location of a child of this one: `key` is appended as a pointer token.
    pub fn child(&self, key: &str) -> Self {
        Location::new(self.file.clone(), crate::pointer::push(&self.pointer, key))
    }

    pub fn with_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(document root)"
        } else {
            &self.pointer
        };
        write!(f, "{}#{}", self.file, pointer)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong between reading a config and writing generated files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid generator config: {message}")]
    Config { path: String, message: String },
    #[error("{location}: YAML syntax error: {message}")]
    Yaml { location: Location, message: String },
    #[error("{location}: $ref \"{reference}\" points to a file that does not exist ({path})")]
    MissingRefFile {
        location: Location,
        reference: String,
        path: String,
    },
    #[error("{location}: $ref \"{reference}\": {message}")]
    BadRef {
        location: Location,
        reference: String,
        message: String,
    },
    #[error("{location}: reference cycle: {}", chain.join(" -> "))]
    RefCycle {
        location: Location,
        chain: Vec<String>,
    },
    #[error(
        "{location}: unsupported spec version: {found}; expected `swagger: \"2.0\"`, `openapi: 3.0.x` or `openapi: 3.1.x`"
    )]
    UnsupportedVersion { location: Location, found: String },
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
    #[error(transparent)]
    Emit(#[from] EmitError),
    #[error("{location}: operation name `{name}` is already used by {first}")]
    DuplicateOperation {
        location: Location,
        name: String,
        first: Box<Location>,
    },
}

impl Error {
    pub fn invalid(location: Location, message: impl Into<String>) -> Self {
        Error::Invalid {
            location,
            message: message.into(),
        }
    }

    /// Adds the line number of the error's location, found by `line_of(file, pointer)`,
    /// where the stage that raised it did not know it.
    pub fn with_line(mut self, line_of: impl Fn(&str, &str) -> Option<usize>) -> Self {
        if let Some(location) = self.location_mut()
            && location.line.is_none()
        {
            location.line = line_of(&location.file, &location.pointer);
        }
        self
    }

    /// The same error, at the place `relocate` gives for its location.
    pub fn relocated(mut self, relocate: impl FnOnce(Location) -> Location) -> Self {
        if let Some(location) = self.location_mut() {
            *location = relocate(std::mem::replace(location, Location::new("", "")));
        }
        self
    }

    fn location_mut(&mut self) -> Option<&mut Location> {
        match self {
            Error::Io { .. } | Error::Config { .. } | Error::Emit(_) => None,
            Error::Yaml { location, .. }
            | Error::MissingRefFile { location, .. }
            | Error::BadRef { location, .. }
            | Error::RefCycle { location, .. }
            | Error::UnsupportedVersion { location, .. }
            | Error::Invalid { location, .. }
            | Error::DuplicateOperation { location, .. } => Some(location),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong rendering an IR: only the generator's own faults, since the front end
/// has checked the specs.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("internal error: {0}")]
    Internal(String),
    #[error("internal error: generated {file} is not valid Rust: {message}")]
    InvalidRust { file: String, message: String },
    #[error("internal error: template {template}: {source}")]
    Template {
        template: &'static str,
        #[source]
        source: minijinja::Error,
    },
}
