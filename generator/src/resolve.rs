//! Stage 2, resolve: follow every `$ref`.
//!
//! Two kinds of reference come out differently:
//! - A reference in schema position keeps its identity: the target is registered once in a
//!   schema table, keyed by `file#pointer`, and the reference is rewritten to
//!   `#/components/schemas/<key>`. Recursive schemas stay finite this way, and the lower
//!   stage can name the type after its file or title and share it between operations.
//! - Any other reference (a security definition, a parameter, a response, a path item) is
//!   replaced by its target, resolved in the target's own file.
//!
//! - A reference inside an example (`example`, `examples`, and any value within them) is
//!   replaced by the value it points to, as the specs' own tooling does: real trees keep
//!   their examples in separate JSON or YAML files (`example: {$ref: ../examples/x.json}`).
//!
//! Keys beside a `$ref` are kept: beside a schema reference, documentation keys document
//! the use and the rest extend the target (`allOf: [target, rest]`); elsewhere they
//! override the target's keys. Cycles that cannot be types are errors naming the chain.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Error, Location, Result};
use crate::load::{DocumentSet, is_data_key, is_example_key};
use crate::paths::join_relative;
use crate::pointer;

/// Where schema references point after resolution.
pub const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// The output of the resolve stage.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The root documents, in the order asked for.
    pub specs: Vec<ResolvedSpec>,
    /// Every schema reached through a reference or declared in `definitions` /
    /// `components.schemas`, keyed by `file#pointer`.
    pub schemas: BTreeMap<String, NamedSchema>,
}

/// A root document with every non-schema reference inlined.
#[derive(Debug, Clone)]
pub struct ResolvedSpec {
    pub file: String,
    pub document: Value,
}

/// A schema with its own references rewritten.
#[derive(Debug, Clone)]
pub struct NamedSchema {
    pub location: Location,
    pub value: Value,
}

/// Resolves `roots`, and registers the schemas named by `extra_schemas` (`file#pointer`)
/// even where no root references them.
pub fn resolve(set: &DocumentSet, roots: &[String], extra_schemas: &[String]) -> Result<Resolved> {
    let mut resolver = Resolver {
        set,
        schemas: BTreeMap::new(),
        inline_stack: Vec::new(),
    };
    let mut specs = Vec::new();
    for root in roots {
        let document = set
            .get(root)
            .ok_or_else(|| Error::invalid(Location::new(root.clone(), ""), "spec not loaded"))?;
        let mut value = document.value.clone();
        resolver.register_declared_schemas(root, &mut value)?;
        let document = resolver.walk(root, &value, "", Ctx::Document)?;
        specs.push(ResolvedSpec {
            file: root.clone(),
            document,
        });
    }
    for extra in extra_schemas {
        let (file, fragment) = extra.split_once('#').unwrap_or((extra.as_str(), ""));
        let location = Location::new(file, fragment);
        if set
            .get(file)
            .and_then(|d| pointer::get(&d.value, fragment))
            .is_none()
        {
            return Err(Error::invalid(location, "configured schema does not exist"));
        }
        resolver.register_schema(file, fragment)?;
    }
    let schemas: BTreeMap<String, NamedSchema> = resolver
        .schemas
        .into_iter()
        .filter_map(|(key, schema)| schema.map(|s| (key, s)))
        .collect();
    check_alias_cycles(&schemas)?;
    Ok(Resolved { specs, schemas })
}

/// The key a schema reference points to, if `reference` is one.
pub fn schema_key(reference: &str) -> Option<String> {
    let escaped = reference.strip_prefix(SCHEMA_REF_PREFIX)?;
    pointer::tokens(&format!("/{escaped}"))?.pop()
}

fn schema_ref(key: &str) -> Value {
    let mut map = Map::new();
    map.insert(
        "$ref".into(),
        Value::String(format!("{SCHEMA_REF_PREFIX}{}", pointer::escape(key))),
    );
    Value::Object(map)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Anything that is not a schema.
    Document,
    /// A schema.
    Schema,
    /// A map whose values are schemas (`properties`, `definitions`).
    SchemaMap,
    /// An example: literal data, where only a `$ref` means something (its target's value).
    Example,
}

/// Keys that say something about one use of a schema rather than define it.
fn is_doc_key(key: &str) -> bool {
    matches!(
        key,
        "description"
            | "title"
            | "summary"
            | "example"
            | "examples"
            | "default"
            | "deprecated"
            | "readOnly"
            | "writeOnly"
            | "nullable"
            | "externalDocs"
    ) || key.starts_with("x-")
}

struct Resolver<'a> {
    set: &'a DocumentSet,
    /// `None` while the schema is being resolved (a reference back to it is recursion).
    schemas: BTreeMap<String, Option<NamedSchema>>,
    /// Non-schema references being inlined, to report cycles.
    inline_stack: Vec<String>,
}

impl Resolver<'_> {
    /// Moves `definitions` (Swagger 2.0) and `components.schemas` (OpenAPI 3) of a root
    /// into the schema table, so that every named schema is reached the same way.
    fn register_declared_schemas(&mut self, file: &str, document: &mut Value) -> Result<()> {
        let mut declared = Vec::new();
        if let Some(Value::Object(definitions)) = document.get("definitions") {
            declared.extend(definitions.keys().map(|k| pointer::push("/definitions", k)));
        }
        if let Some(Value::Object(schemas)) = document.pointer("/components/schemas") {
            declared.extend(
                schemas
                    .keys()
                    .map(|k| pointer::push("/components/schemas", k)),
            );
        }
        for at in declared {
            self.register_schema(file, &at)?;
        }
        if let Value::Object(map) = document {
            map.remove("definitions");
            if let Some(Value::Object(components)) = map.get_mut("components") {
                components.remove("schemas");
            }
        }
        Ok(())
    }

    fn register_schema(&mut self, file: &str, at: &str) -> Result<String> {
        let key = format!("{file}#{at}");
        if self.schemas.contains_key(&key) {
            return Ok(key);
        }
        self.schemas.insert(key.clone(), None);
        let document = self.set.get(file).map(|d| &d.value).unwrap_or(&Value::Null);
        let target = pointer::get(document, at).cloned().unwrap_or(Value::Null);
        let value = self.walk(file, &target, at, Ctx::Schema)?;
        self.schemas.insert(
            key.clone(),
            // No line here: finding one scans the file, and only an error needs it (the
            // generator adds lines to errors as it reports them).
            Some(NamedSchema {
                location: Location::new(file, at),
                value,
            }),
        );
        Ok(key)
    }

    /// Where `reference`, found in `file` at `at`, points: (file, pointer).
    fn target(&self, file: &str, at: &str, reference: &str) -> Result<(String, String)> {
        let bad = |message: &str| Error::BadRef {
            location: self.set.locate(file, at),
            reference: reference.to_owned(),
            message: message.to_owned(),
        };
        let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let target_file = if file_part.is_empty() {
            file.to_owned()
        } else {
            join_relative(file, file_part)
                .ok_or_else(|| bad("only relative paths inside the spec directory work"))?
        };
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(bad("the fragment must be a JSON pointer starting with `/`"));
        }
        let document = self
            .set
            .get(&target_file)
            .ok_or_else(|| bad("the file was not loaded"))?;
        if pointer::get(&document.value, fragment).is_none() {
            return Err(bad(&format!(
                "JSON pointer `{fragment}` does not exist in {target_file}"
            )));
        }
        Ok((target_file, fragment.to_owned()))
    }

    fn walk(&mut self, file: &str, value: &Value, at: &str, ctx: Ctx) -> Result<Value> {
        match value {
            Value::Object(map) => match map.get("$ref") {
                Some(Value::String(reference)) if ctx != Ctx::SchemaMap => {
                    self.walk_ref(file, map, reference, at, ctx)
                }
                Some(other)
                    if !matches!(ctx, Ctx::SchemaMap | Ctx::Example) && !other.is_object() =>
                {
                    Err(Error::BadRef {
                        location: self.set.locate(file, &pointer::push(at, "$ref")),
                        reference: other.to_string(),
                        message: "`$ref` must be a string".into(),
                    })
                }
                _ => {
                    let mut out = Map::new();
                    for (key, child) in map {
                        let child_at = pointer::push(at, key);
                        let resolved = match child_ctx(ctx, key) {
                            None => child.clone(),
                            Some(child_ctx) => self.walk(file, child, &child_at, child_ctx)?,
                        };
                        out.insert(key.clone(), resolved);
                    }
                    Ok(Value::Object(out))
                }
            },
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let item_ctx = if ctx == Ctx::SchemaMap {
                        Ctx::Schema
                    } else {
                        ctx
                    };
                    self.walk(file, item, &pointer::push(at, &i.to_string()), item_ctx)
                })
                .collect::<Result<Vec<_>>>()
                .map(Value::Array),
            scalar => Ok(scalar.clone()),
        }
    }

    fn walk_ref(
        &mut self,
        file: &str,
        map: &Map<String, Value>,
        reference: &str,
        at: &str,
        ctx: Ctx,
    ) -> Result<Value> {
        let (target_file, target_at) = self.target(file, at, reference)?;
        let siblings: Map<String, Value> = map
            .iter()
            .filter(|(k, _)| *k != "$ref")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if ctx == Ctx::Schema {
            let key = self.register_schema(&target_file, &target_at)?;
            if siblings.is_empty() {
                return Ok(schema_ref(&key));
            }
            let (docs, structure): (Map<String, Value>, Map<String, Value>) =
                siblings.into_iter().partition(|(k, _)| is_doc_key(k));
            let mut all_of = vec![schema_ref(&key)];
            if !structure.is_empty() {
                all_of.push(self.walk(file, &Value::Object(structure), at, Ctx::Schema)?);
            }
            let mut out = docs;
            out.insert("allOf".into(), Value::Array(all_of));
            return Ok(Value::Object(out));
        }
        let key = format!("{target_file}#{target_at}");
        if let Some(start) = self.inline_stack.iter().position(|k| *k == key) {
            let mut chain = self.inline_stack[start..].to_vec();
            chain.push(key);
            return Err(Error::RefCycle {
                location: self.set.locate(file, at),
                chain,
            });
        }
        self.inline_stack.push(key);
        let document = &self
            .set
            .get(&target_file)
            .expect("checked by target()")
            .value;
        let target = pointer::get(document, &target_at)
            .cloned()
            .unwrap_or(Value::Null);
        let resolved = self.walk(&target_file, &target, &target_at, ctx);
        self.inline_stack.pop();
        let mut resolved = resolved?;
        if !siblings.is_empty() {
            let siblings = self.walk(file, &Value::Object(siblings), at, ctx)?;
            if let (Value::Object(out), Value::Object(siblings)) = (&mut resolved, siblings) {
                out.extend(siblings);
            }
        }
        Ok(resolved)
    }
}

/// The context a child value is read in; `None` for literal data that is copied as is.
fn child_ctx(parent: Ctx, key: &str) -> Option<Ctx> {
    match parent {
        Ctx::SchemaMap => Some(Ctx::Schema),
        Ctx::Example => Some(Ctx::Example),
        _ if is_example_key(key) => Some(Ctx::Example),
        _ if is_data_key(key) => None,
        Ctx::Document => Some(match key {
            "schema" => Ctx::Schema,
            "definitions" | "schemas" => Ctx::SchemaMap,
            _ => Ctx::Document,
        }),
        // Schema keywords whose values are instances, not schemas.
        Ctx::Schema if matches!(key, "default" | "enum" | "const") => None,
        Ctx::Schema => match key {
            "properties" | "patternProperties" | "definitions" | "$defs" | "dependentSchemas" => {
                Some(Ctx::SchemaMap)
            }
            "items"
            | "additionalProperties"
            | "not"
            | "additionalItems"
            | "contains"
            | "propertyNames"
            | "if"
            | "then"
            | "else"
            | "unevaluatedProperties"
            | "unevaluatedItems"
            | "allOf"
            | "anyOf"
            | "oneOf"
            | "prefixItems" => Some(Ctx::Schema),
            _ => None,
        },
    }
}

/// A schema that is nothing but a reference to itself, directly or through other such
/// schemas, describes no value at all.
fn check_alias_cycles(schemas: &BTreeMap<String, NamedSchema>) -> Result<()> {
    let alias_of = |key: &str| -> Option<String> {
        let value = &schemas.get(key)?.value;
        let reference = value.get("$ref")?.as_str()?;
        schema_key(reference)
    };
    for start in schemas.keys() {
        let mut chain = vec![start.clone()];
        let mut current = start.clone();
        while let Some(next) = alias_of(&current) {
            if chain.contains(&next) {
                chain.push(next);
                return Err(Error::RefCycle {
                    location: schemas[start].location.clone(),
                    chain,
                });
            }
            chain.push(next.clone());
            current = next;
        }
    }
    Ok(())
}
