//! The intermediate representation: the contract between the front end (load, resolve,
//! upgrade, lower) and the back ends (Rust, Markdown, export). Plain data, free of OpenAPI's
//! optionality. Every Rust identifier the output uses is decided here, once, by the naming
//! pass at the end of lowering (`lower::names`): the back ends read names, they never make
//! one. Types are kept in one table and referred to by [`TypeId`].

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::config::{ErrorsConfig, RouterConfig};
use crate::error::Location;
use crate::failure::{FailureAnswer, FailureAnswers, RouterFailure};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ir {
    pub package: String,
    /// Dependencies of the generated crate beyond its own, name → Cargo's value (as JSON),
    /// for the Rust types the config uses in place of generated ones.
    pub dependencies: std::collections::BTreeMap<String, Value>,
    pub description: String,
    /// The config file this was generated from, as given.
    pub config_path: String,
    /// Every spec file read, relative to the spec root, sorted.
    pub sources: Vec<String>,
    pub apis: Vec<Api>,
    /// Named types, shared by every API, in the order they were first reached; a
    /// [`TypeId`] is an index into it.
    pub types: Vec<TypeDef>,
    /// The error body shared by every operation.
    pub error: ErrorModel,
    pub router: RouterConfig,
    /// Every example in the specs, with the type it must fit.
    pub examples: Vec<Example>,
    /// The media types the routers read and write, over all operations.
    pub media_uses: MediaUses,
    /// The generated crate's Cargo features that build code: per API, its own and then
    /// its tags' ([`Api::tag_features`]).
    pub features: Vec<String>,
    /// Per type (by [`TypeId`]), the features (indexes into `features`) of the operations
    /// that use it: it builds whenever one of them is enabled.
    pub type_users: Vec<std::collections::BTreeSet<usize>>,
    /// What the generator could not represent exactly.
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Api {
    /// snake_case, as the config names it.
    pub name: String,
    /// The module of the generated crate that holds this API.
    pub module: String,
    /// The server trait.
    pub trait_name: String,
    pub title: String,
    /// The root spec files that form this API.
    pub sources: Vec<String>,
    pub security_schemes: Vec<SecurityScheme>,
    /// This API's own answers to the credential failures the config gives them for; the
    /// others are `[errors.router]`'s.
    pub credential_errors: BTreeMap<RouterFailure, FailureAnswer>,
    /// The Cargo features of its operations' tags, where the config asks for a feature per
    /// tag (`tag_features`); empty otherwise.
    pub tag_features: Vec<TagFeature>,
    pub operations: Vec<Operation>,
    /// What the router mounts: every method and full path, with the operations documented
    /// there, in the order first documented.
    pub routes: Vec<Route>,
}

/// A Cargo feature that builds the operations of one tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagFeature {
    /// The API's feature and the tag in kebab case: `client-server-session-management`.
    pub name: String,
    /// The tag as the specs write it.
    pub tag: String,
}

/// A method on a full path, and the operations it serves: one, or several that the spec
/// documents separately on one path (upstream tells them apart by white space at the end of
/// the path key, `"/events "`). For several, the router calls the first whose request
/// parses (its credential, parameters and body), trying first those whose query parameters
/// the request carries most of, in spec order among equals; when none parses, it answers
/// with the first one's error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// Indices into [`Api::operations`].
    pub operations: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityScheme {
    pub name: String,
    /// The `Credential` variant that carries this scheme's credential.
    pub variant: String,
    /// The router's function that extracts it from a request.
    pub extractor: String,
    pub description: Option<String>,
    pub kind: SecuritySchemeKind,
    /// Where requests carry the credential.
    pub places: CredentialPlaces,
}

/// Where requests carry a scheme's credential, decided once with the router's settings
/// (`lower::security`), so that the router, the client, the `Credential` docs and the
/// round-trip test agree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CredentialPlaces {
    /// Where the router looks for it.
    pub read: Vec<CredentialPlace>,
    /// Where the client puts it: one of `read`.
    pub sent: CredentialPlace,
}

impl CredentialPlaces {
    /// Whether the router takes the credential as `Authorization: Bearer` too.
    pub fn reads_bearer(&self) -> bool {
        self.read.iter().any(|place| {
            matches!(place, CredentialPlace::Authorization(scheme) if scheme.eq_ignore_ascii_case("bearer"))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "in", content = "name", rename_all = "snake_case")]
pub enum CredentialPlace {
    Query(String),
    Header(String),
    Cookie(String),
    /// `Authorization: <scheme> <credential>`, with the scheme's name as the spec writes it.
    Authorization(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SecuritySchemeKind {
    ApiKey {
        parameter: String,
        location: ParamLocation,
    },
    Http {
        scheme: String,
    },
    OAuth2,
    OpenIdConnect,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    /// The trait method and the router's handler: snake_case, unique within the API.
    pub name: String,
    /// The generated types of this operation, unique within the API's module.
    pub names: OperationNames,
    /// The spec's `operationId`, when it has one.
    pub operation_id: Option<String>,
    /// Upper case: `GET`, `POST`, ...
    pub method: String,
    /// The path as the spec writes it, relative to the base path.
    pub path: String,
    /// The path under every value of the base path's variables.
    pub full_paths: Vec<String>,
    /// The base path the path is under, for a client to choose the variables' values.
    pub base: BasePath,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub tags: Vec<String>,
    /// The Cargo features one of which builds this operation: its API's, or where the API
    /// has a feature per tag, its tags' (and those of the operations it shares a route
    /// with, which are served together); its API's when it has no tag.
    pub features: Vec<String>,
    pub security: Security,
    pub parameters: Vec<Parameter>,
    pub body: Option<RequestBody>,
    pub responses: Vec<Response>,
    /// What the router does for this operation by itself.
    pub transport: Transport,
    pub source: Location,
}

/// The path part of an operation's server URL, with its variables.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct BasePath {
    /// `/api/{version}`: `{name}` for each variable; empty for none.
    pub template: String,
    /// The variables in the template, in order.
    pub variables: Vec<BaseVariable>,
}

/// A variable of a base path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaseVariable {
    pub name: String,
    /// The value a client uses unless told otherwise.
    pub default: String,
    /// Every value, in the spec's order (just the default where it lists none).
    pub values: Vec<String>,
}

/// What the generated router does for an operation by itself, around the method: decided
/// once here, for the router (emit) and for the documents that describe it (export).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Transport {
    /// The failures it may answer by itself, sorted.
    pub errors: Vec<RouterFailure>,
    /// How it reads the body; `None` when the operation takes none.
    pub body: Option<BodyReading>,
}

/// How a request body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BodyReading {
    /// One JSON schema (as a form too, where `form`), whatever the `Content-Type` says:
    /// clients are lax about it.
    Structured { required: bool, form: bool },
    /// By `Content-Type`, a variant per media type; others are refused.
    ByMediaType { required: bool },
}

impl BodyReading {
    /// Whether a request must carry the body.
    pub fn required(&self) -> bool {
        match self {
            BodyReading::Structured { required, .. } | BodyReading::ByMediaType { required } => {
                *required
            }
        }
    }
}

/// Which media types (`TypeKind::Media`) the routers read from requests and write in
/// responses: only those get the code that reads or writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MediaUses {
    pub read: std::collections::BTreeSet<TypeId>,
    pub written: std::collections::BTreeSet<TypeId>,
}

/// The identifiers of an operation's generated items.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct OperationNames {
    pub request: String,
    pub response: String,
    /// The method of the API's `Client` that calls the operation.
    pub client_method: String,
    /// The constant holding the operation's metadata (`crate::metadata::Metadata`).
    pub metadata: String,
}

/// Who may call an operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "schemes", rename_all = "snake_case")]
pub enum Security {
    /// Anyone.
    None,
    /// A credential of one of these schemes is needed.
    Required(Vec<String>),
    /// A credential of one of these schemes is used when given.
    Optional(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    /// The name on the wire.
    pub name: String,
    /// The request struct's field: snake_case, unique among the request's fields.
    pub field: String,
    /// The router's function giving the default, unique within the API's module.
    pub default_fn: String,
    pub location: ParamLocation,
    pub description: Option<String>,
    pub required: bool,
    pub deprecated: bool,
    pub ty: TypeRef,
    pub default: Option<Value>,
    /// The regular expression a string value must match, as the spec writes it. Documented,
    /// not enforced: the implementation owns validation.
    pub pattern: Option<String>,
    /// An object in the query spread over it, a pair per property (OpenAPI's default for a
    /// query parameter: `style: form`, exploded), rather than one `name=value` pair.
    pub spread: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestBody {
    pub description: Option<String>,
    pub required: bool,
    /// Every media type accepted, in spec order.
    pub content_types: Vec<String>,
    pub ty: TypeRef,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub status: Status,
    /// The response enum's variant: `Ok`, `NotFound`, ...
    pub variant: String,
    pub description: String,
    pub content_types: Vec<String>,
    /// The body's type; `None` when the response documents no body.
    pub ty: Option<TypeRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Status {
    Code(u16),
    /// A whole class: `4` for `4XX`.
    Range(u16),
    Default,
}

/// A use of a type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "of", rename_all = "snake_case")]
pub enum TypeRef {
    String {
        format: Option<String>,
        /// A password, token or other secret: its type hides it from `Debug`.
        secret: bool,
    },
    Integer {
        format: Option<String>,
    },
    Number {
        format: Option<String>,
    },
    Boolean,
    /// Raw bytes: a body of one media type that is neither JSON, a form nor text.
    Bytes,
    /// Bytes in a media type the sender names (`application/octet-stream`, `image/*`),
    /// kept together: `media::Blob`.
    Blob,
    Array(Box<TypeRef>),
    /// A fixed-length JSON array whose items each have their own type (`prefixItems`).
    Tuple(Vec<TypeRef>),
    /// A JSON object with arbitrary keys and values of one type. The keys are strings, or
    /// of a format with a type of its own (`key`: a `TypeKind::Validated`), where the spec
    /// says which (`x-pattern-format` of `patternProperties`).
    Map {
        key: Option<TypeId>,
        value: Box<TypeRef>,
    },
    /// A JSON object about which nothing more is said.
    Object,
    /// Any JSON value.
    Any,
    /// A type from `Ir::types`.
    Named(TypeId),
    /// A Rust type of the user's own, by its path, used in place of what the schema would
    /// generate (the config's `[replace]`).
    External(String),
    /// A value that may also be `null`, where no field's `Option` can say so: an array's
    /// items or a map's values (`items: {type: [string, "null"]}`).
    Nullable(Box<TypeRef>),
    /// A value held behind a pointer, so that the enum variant holding it stays small
    /// (decided last, by the layout pass; serialized as the value itself).
    Boxed(Box<TypeRef>),
}

impl TypeRef {
    /// Every named type the use mentions, however deep.
    pub fn named_ids(&self, out: &mut Vec<TypeId>) {
        self.clone().for_each_named_mut(&mut |id| out.push(*id));
    }

    /// Calls `f` on the id of every named type the use mentions, however deep.
    pub fn for_each_named_mut(&mut self, f: &mut dyn FnMut(&mut TypeId)) {
        match self {
            TypeRef::Named(id) => f(id),
            TypeRef::Map { key, value } => {
                if let Some(key) = key {
                    f(key);
                }
                value.for_each_named_mut(f);
            }
            TypeRef::Array(inner) | TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => {
                inner.for_each_named_mut(f)
            }
            TypeRef::Tuple(items) => items.iter_mut().for_each(|item| item.for_each_named_mut(f)),
            TypeRef::String { .. }
            | TypeRef::Integer { .. }
            | TypeRef::Number { .. }
            | TypeRef::Boolean
            | TypeRef::Bytes
            | TypeRef::Blob
            | TypeRef::Object
            | TypeRef::Any
            | TypeRef::External(_) => {}
        }
    }

    /// The id of the named type this use refers to, through a box (however the layout
    /// decided to hold it) or a nullable.
    pub fn named_id(&self) -> Option<TypeId> {
        match self {
            TypeRef::Named(id) => Some(*id),
            TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => inner.named_id(),
            _ => None,
        }
    }
}

/// A type of the IR's table: an index into [`Ir::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TypeId(pub usize);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeDef {
    /// PascalCase, unique.
    pub name: String,
    pub description: Option<String>,
    /// Every place the schema was found (more than one when identical schemas merged).
    pub origins: Vec<Location>,
    pub kind: TypeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeKind {
    Struct {
        fields: Vec<Field>,
        /// Keys beyond `fields`, with values of this type.
        additional: Option<TypeRef>,
        /// The field that holds the keys beyond `fields`, unique among them.
        additional_field: String,
    },
    Enum {
        variants: Vec<EnumVariant>,
        /// Whether values not listed are accepted (into the `fallback` variant).
        open: bool,
        /// The variant for values not listed, unique among `variants`.
        fallback: String,
        /// Whether the values are JSON integers (each variant's `value` is its decimal
        /// text) rather than strings.
        integer: bool,
    },
    Alias {
        target: TypeRef,
    },
    /// One of several shapes (`oneOf`, `anyOf`). With a `tag`, the variant is chosen by
    /// that property's value; without, by the first variant the value fits. Either way a
    /// value that fits none is kept whole in a fallback.
    Union {
        variants: Vec<UnionVariant>,
        tag: Option<String>,
        /// The variant for values that fit none, unique among `variants`.
        fallback: String,
    },
    /// A body that comes in several media types, one variant per type: chosen by
    /// `Content-Type`, not by the shape of the value.
    Media {
        variants: Vec<MediaVariant>,
    },
    /// A string of a format the config gives a type of its own (`[formats]`): a newtype
    /// that holds only values that keep the rule. Named by the config.
    Validated {
        /// The `format` name (`mx-user-id`).
        format: String,
        /// A regular expression a value matches.
        pattern: Option<String>,
        /// The most bytes a value has.
        max_bytes: Option<usize>,
        /// A value of the format.
        example: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct UnionVariant {
    /// PascalCase, unique within the union.
    pub name: String,
    pub ty: TypeRef,
    /// The tag values that select this variant (empty when the union has no tag).
    pub tag_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MediaVariant {
    /// As the spec writes it: `application/json`, `text/plain`, `image/*`...
    pub content_type: String,
    /// PascalCase, unique within the type.
    pub name: String,
    pub encoding: Encoding,
    pub ty: TypeRef,
}

impl MediaVariant {
    /// Whether the variant takes bytes of any media type: `application/octet-stream`, which
    /// names none in particular, and `*/*` (a range such as `image/*` takes only its own).
    pub fn takes_any_type(&self) -> bool {
        let essence = self
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        self.encoding == Encoding::Blob && (!essence.contains('*') || essence == "*/*")
    }
}

/// How a media type's body maps to its Rust value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// `application/json` and `*/*+json`: serde_json.
    Json,
    /// `application/x-www-form-urlencoded`: the crate's `form` module.
    Form,
    /// `text/*`: the body as a UTF-8 string.
    Text,
    /// One other media type (`image/png`): the bytes as sent.
    Binary,
    /// `application/octet-stream` and ranges (`image/*`): any bytes, in the media type the
    /// sender names, which is kept beside them.
    Blob,
}

impl Encoding {
    pub fn of(content_type: &str) -> Encoding {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "application/json" || essence.ends_with("+json") || essence == "*/*" {
            Encoding::Json
        } else if essence == "application/x-www-form-urlencoded" {
            Encoding::Form
        } else if essence.starts_with("text/") {
            Encoding::Text
        } else if essence == "application/octet-stream" || essence.ends_with("/*") {
            Encoding::Blob
        } else {
            Encoding::Binary
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Field {
    /// The name on the wire.
    pub name: String,
    /// snake_case identifier, unique within the struct.
    pub ident: String,
    /// The function giving the default, unique within the struct's impl.
    pub default_fn: String,
    pub description: Option<String>,
    pub ty: TypeRef,
    pub required: bool,
    pub nullable: bool,
    pub default: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct EnumVariant {
    /// The value on the wire.
    pub value: String,
    /// PascalCase, unique within the enum.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorModel {
    /// The body of every error response, a type of the table.
    pub type_id: TypeId,
    /// The error an operation answers with when it does not use a documented variant:
    /// an HTTP status and that body. Named by the config.
    pub type_name: String,
    /// The enum of its codes.
    pub code_type_name: String,
    /// The code enum's variant for codes not configured.
    pub code_fallback: String,
    pub code_property: String,
    pub message_property: String,
    pub retry_after_property: Option<String>,
    pub codes: Vec<ErrorCode>,
    /// What the router answers for each of its own failures.
    pub router_failures: FailureAnswers,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorCode {
    pub code: String,
    /// PascalCase variant name.
    pub name: String,
    pub description: String,
}

impl ErrorModel {
    pub(crate) fn from_config(
        config: &ErrorsConfig,
        type_id: TypeId,
        codes: Vec<ErrorCode>,
    ) -> Self {
        ErrorModel {
            type_id,
            type_name: config.type_name.clone(),
            code_type_name: String::new(),
            code_fallback: String::new(),
            code_property: config.code_property.clone(),
            message_property: config.message_property.clone(),
            retry_after_property: config.retry_after_property.clone(),
            codes,
            router_failures: config.router.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    /// The generated test that round-trips it.
    pub test_name: String,
    pub location: Location,
    pub ty: TypeRef,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

impl std::fmt::Display for Warning {
    /// `location: message`, as the command lines print it after `warning: `.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl Api {
    /// The generated crate's Cargo feature that builds this API: its name in kebab case.
    pub fn feature(&self) -> String {
        self.name.replace('_', "-")
    }

    /// The features one of which builds the API's module: its own, and its tags'.
    pub fn module_features(&self) -> Vec<String> {
        std::iter::once(self.feature())
            .chain(self.tag_features.iter().map(|t| t.name.clone()))
            .collect()
    }

    /// The features one of which an item of `op` needs, beyond what builds the API's
    /// module: none, unless the API has a feature per tag.
    pub fn operation_gate<'a>(&self, op: &'a Operation) -> &'a [String] {
        match self.tag_features.is_empty() {
            true => &[],
            false => &op.features,
        }
    }

    /// The features one of which an item that `ops` use needs (as [`Self::operation_gate`]);
    /// in the crate's order.
    pub fn operations_gate<'a>(&self, ops: impl Iterator<Item = &'a Operation>) -> Vec<String> {
        if self.tag_features.is_empty() {
            return Vec::new();
        }
        let used: std::collections::BTreeSet<&String> = ops.flat_map(|op| &op.features).collect();
        self.module_features()
            .into_iter()
            .filter(|f| used.contains(f))
            .collect()
    }
}

impl Ir {
    /// The Cargo features one of which a type needs to build: none (it always builds) when
    /// every feature uses it, or none does.
    pub fn features_of_type(&self, id: TypeId) -> Vec<String> {
        self.feature_names(&self.type_users[id.0])
    }

    /// The Cargo features one of which a use of a type needs: those that use every named
    /// type it mentions (none when that is every feature).
    pub fn features_of_use(&self, ty: &TypeRef) -> Vec<String> {
        let mut named = Vec::new();
        ty.named_ids(&mut named);
        let mut users = (0..self.features.len()).collect::<std::collections::BTreeSet<usize>>();
        for id in named {
            if !self.type_users[id.0].is_empty() {
                users.retain(|feature| self.type_users[id.0].contains(feature));
            }
        }
        self.feature_names(&users)
    }

    /// The names of `features` (indexes into `self.features`): none when they are all.
    fn feature_names(&self, features: &std::collections::BTreeSet<usize>) -> Vec<String> {
        if features.is_empty() || features.len() == self.features.len() {
            return Vec::new();
        }
        features.iter().map(|&f| self.features[f].clone()).collect()
    }

    /// The type `id` stands for.
    pub fn type_def(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    /// The type called `name`, for tests and tools that know a type by its Rust name.
    pub fn type_named(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// A use of the type called `name`.
    pub fn type_ref(&self, name: &str) -> Option<TypeRef> {
        let index = self.types.iter().position(|t| t.name == name)?;
        Some(TypeRef::Named(TypeId(index)))
    }

    /// The named type a use refers to, if it refers to one.
    pub fn named(&self, ty: &TypeRef) -> Option<&TypeDef> {
        ty.named_id().map(|id| self.type_def(id))
    }
}
