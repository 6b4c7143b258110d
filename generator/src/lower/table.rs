//! The type table: every named type, keyed by [`TypeId`], deduplicated by structure.
//!
//! Types are added as they are finished (inner types before the types that hold them), so
//! the table's order is the order the generated `types` module lists them in. A schema
//! that refers to itself needs its id before it is finished: it gets a *reserved* id, which
//! [`TypeTable::finish`] forwards to the type the schema became.

use std::collections::HashMap;

use crate::error::Location;
use crate::ir::{TypeDef, TypeId, TypeKind, TypeRef};

#[derive(Default)]
pub(super) struct TypeTable {
    /// `None` for a reserved id not yet forwarded.
    entries: Vec<Option<TypeDef>>,
    /// Reserved id → the name suggested for the type it will stand for.
    reserved: HashMap<TypeId, String>,
    /// Reserved id → the id of the type it stands for.
    forwards: HashMap<TypeId, TypeId>,
    /// A hash of a type's structure (kind and description) → the types with that hash.
    by_structure: HashMap<u64, Vec<TypeId>>,
}

/// Which existing type a new one may be merged into.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Merge {
    /// Any type of the same structure: a schema of its own (a file, a definition) reached
    /// again through another path is the same type.
    AnyName,
    /// Only a type of the same structure and the same suggested name: two inline schemas
    /// that happen to look alike in different places stay two types.
    SameName,
}

impl TypeTable {
    pub fn get(&self, id: TypeId) -> Option<&TypeDef> {
        let id = self.forwarded(id);
        self.entries.get(id.0).and_then(Option::as_ref)
    }

    /// Adds a type (or finds the one it merges with) and returns its id.
    pub fn add(&mut self, def: TypeDef, merge: Merge) -> TypeId {
        let structure = structure_key(&def.kind, def.description.as_deref());
        let candidates = self.by_structure.get(&structure).into_iter().flatten();
        let mut existing = None;
        for &id in candidates {
            if let Some(other) = &self.entries[id.0]
                && other.kind == def.kind
                && other.description == def.description
                && (merge == Merge::AnyName || other.name == def.name)
            {
                existing = Some(id);
                break;
            }
        }
        if let Some(id) = existing {
            let other = self.entries[id.0].as_mut().expect("indexed types exist");
            for origin in def.origins {
                if !other.origins.contains(&origin) {
                    other.origins.push(origin);
                }
            }
            return id;
        }
        let id = TypeId(self.entries.len());
        self.entries.push(Some(def));
        self.by_structure.entry(structure).or_default().push(id);
        id
    }

    /// The suggested name of a type, finished or only reserved.
    pub fn name(&self, id: TypeId) -> Option<&str> {
        match self.get(id) {
            Some(def) => Some(&def.name),
            None => self.reserved.get(&id).map(String::as_str),
        }
    }

    /// An id for a type called `name` that is not finished yet; [`forward`](Self::forward)
    /// it later.
    pub fn reserve(&mut self, name: &str) -> TypeId {
        let id = TypeId(self.entries.len());
        self.entries.push(None);
        self.reserved.insert(id, name.to_owned());
        id
    }

    pub fn forward(&mut self, reserved: TypeId, to: TypeId) {
        if reserved != to {
            self.forwards.insert(reserved, to);
        }
    }

    fn forwarded(&self, mut id: TypeId) -> TypeId {
        // Forwards always point to a later, finished type, so this ends.
        while let Some(next) = self.forwards.get(&id) {
            id = *next;
        }
        id
    }

    /// The finished table, with reserved ids gone, and the map from every id handed out
    /// to its place in it. A reserved id never forwarded is an internal error.
    pub fn finish(self, location: &Location) -> crate::Result<(Vec<TypeDef>, Renumbering)> {
        let mut new_ids = HashMap::new();
        let mut types = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            if let Some(def) = entry {
                new_ids.insert(TypeId(index), TypeId(types.len()));
                types.push(def.clone());
            }
        }
        for index in 0..self.entries.len() {
            let id = TypeId(index);
            let target = self.forwarded(id);
            let Some(&new) = new_ids.get(&target) else {
                return Err(crate::Error::invalid(
                    location.clone(),
                    format!("internal error: type #{index} was reserved and never defined"),
                ));
            };
            new_ids.insert(id, new);
        }
        let mut renumbering = Renumbering(new_ids);
        for def in &mut types {
            renumbering.kind(&mut def.kind);
        }
        Ok((types, renumbering))
    }
}

/// Old id → final id, applied to every type use of the IR.
pub(super) struct Renumbering(HashMap<TypeId, TypeId>);

impl Renumbering {
    pub fn ty(&mut self, ty: &mut TypeRef) {
        ty.for_each_named_mut(&mut |id| *id = self.0[id]);
    }

    pub fn id(&self, id: TypeId) -> TypeId {
        self.0[&id]
    }

    fn kind(&mut self, kind: &mut TypeKind) {
        match kind {
            TypeKind::Struct {
                fields, additional, ..
            } => {
                fields.iter_mut().for_each(|f| self.ty(&mut f.ty));
                additional.iter_mut().for_each(|ty| self.ty(ty));
            }
            TypeKind::Enum { .. } | TypeKind::Validated { .. } => {}
            TypeKind::Alias { target } => self.ty(target),
            TypeKind::Union { variants, .. } => {
                variants.iter_mut().for_each(|v| self.ty(&mut v.ty))
            }
            TypeKind::Media { variants } => variants.iter_mut().for_each(|v| self.ty(&mut v.ty)),
        }
    }
}

/// A hash of what makes two types the same: their kind (fields, variants, ... with the ids
/// of the types they use, which are already deduplicated) and their description. Types
/// with equal hashes are compared whole before they merge.
fn structure_key(kind: &TypeKind, description: Option<&str>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (kind, description).hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{EnumVariant, TypeKind};

    fn def(name: &str, values: &[&str]) -> TypeDef {
        TypeDef {
            name: name.into(),
            description: None,
            origins: vec![Location::new(format!("{name}.yaml"), "")],
            kind: TypeKind::Enum {
                variants: values
                    .iter()
                    .map(|v| EnumVariant {
                        value: (*v).into(),
                        name: v.to_uppercase(),
                    })
                    .collect(),
                open: true,
                fallback: "Other".into(),
                integer: false,
            },
        }
    }

    #[test]
    fn identical_types_merge_by_the_rule_asked_for_and_keep_every_origin() {
        let mut table = TypeTable::default();
        let first = table.add(def("Kind", &["a", "b"]), Merge::SameName);
        // Same structure, another name: kept apart unless any name may merge.
        let other_name = table.add(def("Sort", &["a", "b"]), Merge::SameName);
        assert_ne!(first, other_name);
        let merged = table.add(def("Other", &["a", "b"]), Merge::AnyName);
        assert_eq!(merged, first);
        assert_eq!(table.get(first).unwrap().origins.len(), 2);
        // Another structure never merges.
        let different = table.add(def("Kind", &["a", "c"]), Merge::AnyName);
        assert_ne!(different, first);
    }

    #[test]
    fn a_reserved_id_forwards_to_the_type_it_became() {
        let mut table = TypeTable::default();
        let reserved = table.reserve("Node");
        assert_eq!(table.name(reserved), Some("Node"));
        let node = table.add(def("Node", &["x"]), Merge::SameName);
        table.forward(reserved, node);
        let (types, renumbering) = table.finish(&Location::new("a.yaml", "")).unwrap();
        assert_eq!(types.len(), 1);
        assert_eq!(renumbering.id(reserved), renumbering.id(node));
    }

    #[test]
    fn a_reserved_id_never_defined_is_an_internal_error() {
        let mut table = TypeTable::default();
        table.reserve("Lost");
        let error = table.finish(&Location::new("a.yaml", "")).err().unwrap();
        assert!(error.to_string().contains("never defined"), "{error}");
    }
}
