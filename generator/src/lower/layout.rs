//! How the generated Rust holds values, decided so the code compiles and stays
//! clippy-clean at any spec size. Three rules; the last two, which box, are decided
//! together by [`finalize`], the last pass of lowering:
//!
//! - **Complex type uses get a name.** A use whose type would score over [`COMPLEXITY_LIMIT`]
//!   by clippy's `type_complexity` measure (each type in the use adds ten times its depth;
//!   clippy refuses over 250) becomes a use of a new alias, named after its owner and place
//!   (`DeviceCardSignatures` for the field `signatures` of `DeviceCard`), which says the whole
//!   type once. Real specs have maps of maps of lists (`Option<BTreeMap<String,
//!   BTreeMap<String, Vec<..>>>>`).
//! - **Recursive uses are boxed.** A struct's field or a union's variant that holds (not
//!   through a list or a map) a type of the same cycle is a `Box` ([`TypeRef::Boxed`]), or
//!   the type would have no size ([`recursion`](super::recursion) finds the cycles).
//! - **Large variants are boxed.** In an enum (a response, a union, a body in several media
//!   types), while the largest unboxed payload is estimated to be more than
//!   [`SIZE_DIFFERENCE_LIMIT`] bytes larger than the next-largest variant, it is held in a
//!   `Box` ([`TypeRef::Boxed`]); clippy's `large_enum_variant` refuses a difference of 200.
//!   Sizes are estimated from the layout of the std types on a 64-bit target, erring on the
//!   large side.
//!
//! Both limits sit below clippy's, so an estimate slightly off still passes; both rules only
//! act where clippy would object, so small specs keep their plain types.

use std::collections::HashMap;

use super::case::{pascal_case, status_name};
use crate::ir::{Field, Ir, TypeDef, TypeId, TypeKind, TypeRef};

/// Above this score a type use gets a name (clippy's `type_complexity` threshold is 250).
const COMPLEXITY_LIMIT: u64 = 200;

/// A payload larger than the next-largest variant by more than this is boxed (clippy's
/// `large_enum_variant` threshold is 200 bytes).
const SIZE_DIFFERENCE_LIMIT: u64 = 128;

/// The first rule. Runs before the naming pass, which makes the new aliases' suggested
/// names unique.
pub(super) fn name_complex_uses(ir: &mut Ir) {
    let mut aliases = Vec::new();
    let first_new = ir.types.len();
    let mut tame = |ty: &mut TypeRef, name: String, origin: &TypeDefOrigin| {
        // Scored as if wrapped in an `Option`, which most uses are.
        if 10 + complexity(ty, 2) > COMPLEXITY_LIMIT {
            let id = TypeId(first_new + aliases.len());
            let target = std::mem::replace(ty, TypeRef::Named(id));
            aliases.push(TypeDef {
                name,
                description: Some(format!("The type of {}.", origin.place)),
                origins: origin.origins.clone(),
                kind: TypeKind::Alias { target },
            });
        }
    };
    for def in &mut ir.types {
        let owner = TypeDefOrigin {
            place: format!("`{}`", def.name),
            origins: def.origins.clone(),
        };
        match &mut def.kind {
            TypeKind::Struct {
                fields, additional, ..
            } => {
                for Field { name, ty, .. } in fields {
                    let origin = TypeDefOrigin {
                        place: format!("`{name}` of {}", owner.place),
                        origins: owner.origins.clone(),
                    };
                    tame(ty, format!("{}{}", def.name, pascal_case(name)), &origin);
                }
                if let Some(ty) = additional {
                    tame(ty, format!("{}Value", def.name), &owner);
                }
            }
            TypeKind::Union { variants, .. } => {
                for variant in variants {
                    tame(
                        &mut variant.ty,
                        format!("{}{}", def.name, variant.name),
                        &owner,
                    );
                }
            }
            TypeKind::Media { variants } => {
                for variant in variants {
                    tame(
                        &mut variant.ty,
                        format!("{}{}", def.name, variant.name),
                        &owner,
                    );
                }
            }
            TypeKind::Alias { .. } | TypeKind::Enum { .. } | TypeKind::Validated { .. } => {}
        }
    }
    for api in &mut ir.apis {
        for op in &mut api.operations {
            let prefix = pascal_case(&op.name);
            let owner = TypeDefOrigin {
                place: format!("operation `{}`", op.name),
                origins: vec![op.source.clone()],
            };
            for parameter in &mut op.parameters {
                let name = format!("{prefix}{}", pascal_case(&parameter.name));
                tame(&mut parameter.ty, name, &owner);
            }
            if let Some(body) = &mut op.body {
                tame(&mut body.ty, format!("{prefix}RequestBody"), &owner);
            }
            for response in &mut op.responses {
                let name = format!("{prefix}{}Body", status_name(response.status));
                if let Some(ty) = &mut response.ty {
                    tame(ty, name, &owner);
                }
            }
        }
    }
    ir.types.extend(aliases);
}

/// What a new alias documents: its place in words, and the spec places it comes from.
struct TypeDefOrigin {
    place: String,
    origins: Vec<crate::error::Location>,
}

/// clippy's `type_complexity` score of the Rust type of `ty` at depth `nest`.
fn complexity(ty: &TypeRef, nest: u64) -> u64 {
    let here = 10 * nest;
    here + match ty {
        TypeRef::Array(item) | TypeRef::Boxed(item) | TypeRef::Nullable(item) => {
            complexity(item, nest + 1)
        }
        TypeRef::Map { value, .. } => 10 * (nest + 1) + complexity(value, nest + 1),
        TypeRef::Tuple(items) => items.iter().map(|item| complexity(item, nest + 1)).sum(),
        // `Vec<u8>`, `Map<String, Value>`.
        TypeRef::Bytes | TypeRef::Blob => 10 * (nest + 1),
        TypeRef::Object => 20 * (nest + 1),
        TypeRef::String { .. }
        | TypeRef::Integer { .. }
        | TypeRef::Number { .. }
        | TypeRef::Boolean
        | TypeRef::Any
        | TypeRef::Named(_)
        | TypeRef::External(_) => 0,
    }
}

/// Decides every box, on the finished IR: recursive uses first, so that the sizes the
/// large-variant rule estimates see them.
pub(super) fn finalize(ir: &mut Ir) {
    box_recursive_uses(ir);
    box_large_variants(ir);
}

/// The recursive-use rule: struct fields and union variants (an alias cannot recur, and a
/// media body is no schema another type holds).
fn box_recursive_uses(ir: &mut Ir) {
    let edges = super::recursion::recursive_edges(&ir.types);
    for (index, def) in ir.types.iter_mut().enumerate() {
        let owner = TypeId(index);
        let in_cycle =
            |ty: &TypeRef| matches!(ty, TypeRef::Named(id) if edges.contains(&(owner, *id)));
        match &mut def.kind {
            TypeKind::Struct { fields, .. } => {
                for field in fields {
                    box_if(in_cycle(&field.ty), &mut field.ty);
                }
            }
            TypeKind::Union { variants, .. } => {
                for variant in variants {
                    box_if(in_cycle(&variant.ty), &mut variant.ty);
                }
            }
            TypeKind::Enum { .. }
            | TypeKind::Alias { .. }
            | TypeKind::Media { .. }
            | TypeKind::Validated { .. } => {}
        }
    }
}

/// The large-variant rule: responses, unions and media bodies.
fn box_large_variants(ir: &mut Ir) {
    let mut sizes = Sizes {
        types: &ir.types,
        known: HashMap::new(),
    };
    let mut decisions: Vec<Vec<bool>> = Vec::new();
    for def in ir.types.iter() {
        decisions.push(match &def.kind {
            TypeKind::Union { variants, .. } => {
                // The fallback variant holds any JSON value.
                let mut payloads: Vec<u64> = variants.iter().map(|v| sizes.of(&v.ty)).collect();
                payloads.push(VALUE);
                let mut boxed = to_box(&payloads);
                boxed.pop();
                boxed
            }
            TypeKind::Media { variants } => {
                to_box(&variants.iter().map(|v| sizes.of(&v.ty)).collect::<Vec<_>>())
            }
            _ => Vec::new(),
        });
    }
    let mut responses = Vec::new();
    for api in &ir.apis {
        for op in &api.operations {
            let payloads: Vec<u64> = op
                .responses
                .iter()
                .map(|r| {
                    let status = if matches!(r.status, crate::ir::Status::Code(_)) {
                        0
                    } else {
                        2
                    };
                    status + r.ty.as_ref().map_or(0, |ty| sizes.of(ty))
                })
                .collect();
            responses.push(to_box(&payloads));
        }
    }
    for (def, boxed) in ir.types.iter_mut().zip(decisions) {
        match &mut def.kind {
            TypeKind::Union { variants, .. } => {
                for (variant, boxed) in variants.iter_mut().zip(boxed) {
                    box_if(boxed, &mut variant.ty);
                }
            }
            TypeKind::Media { variants } => {
                for (variant, boxed) in variants.iter_mut().zip(boxed) {
                    box_if(boxed, &mut variant.ty);
                }
            }
            _ => {}
        }
    }
    let mut responses = responses.into_iter();
    for api in &mut ir.apis {
        for op in &mut api.operations {
            let boxed = responses.next().unwrap_or_default();
            for (response, boxed) in op.responses.iter_mut().zip(boxed) {
                if let Some(ty) = &mut response.ty {
                    box_if(boxed, ty);
                }
            }
        }
    }
}

fn box_if(boxed: bool, ty: &mut TypeRef) {
    if boxed {
        let inner = std::mem::replace(ty, TypeRef::Any);
        *ty = TypeRef::Boxed(Box::new(inner));
    }
}

/// Which of an enum's payloads (sizes in bytes) to box: the largest, while it is more than
/// the limit larger than the next-largest variant.
fn to_box(payloads: &[u64]) -> Vec<bool> {
    let mut sizes = payloads.to_vec();
    let mut boxed = vec![false; sizes.len()];
    loop {
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
        let [largest, next, ..] = order[..] else {
            return boxed;
        };
        if sizes[largest] <= sizes[next] + SIZE_DIFFERENCE_LIMIT {
            return boxed;
        }
        boxed[largest] = true;
        sizes[largest] = POINTER;
    }
}

const POINTER: u64 = 8;
/// `String`, `Vec`, `BTreeMap`: pointer, length, capacity (or root, height, length).
const COLLECTION: u64 = 24;
/// `serde_json::Value` and its `Map`, with `preserve_order` (an `IndexMap`) on the large side.
const VALUE: u64 = 80;

/// Estimated sizes of named types, each computed once.
struct Sizes<'a> {
    types: &'a [TypeDef],
    known: HashMap<TypeId, u64>,
}

impl Sizes<'_> {
    fn of(&mut self, ty: &TypeRef) -> u64 {
        match ty {
            TypeRef::String { .. }
            | TypeRef::Array(_)
            | TypeRef::Map { .. }
            | TypeRef::Bytes
            | TypeRef::Blob => COLLECTION,
            TypeRef::Integer { .. } | TypeRef::Number { .. } => 8,
            TypeRef::Boolean => 1,
            TypeRef::Boxed(_) => POINTER,
            // The discriminant, rounded up to the value's alignment.
            TypeRef::Nullable(inner) => self.of(inner) + 8,
            // A type of the user's own could be anything: taken as large as a JSON value.
            TypeRef::Object | TypeRef::Any | TypeRef::External(_) => VALUE,
            TypeRef::Tuple(items) => items.iter().map(|item| self.of(item)).sum(),
            TypeRef::Named(id) => self.named(*id),
        }
    }

    /// A field: an `Option` hides `None` in its value's niche, except for numbers.
    fn field(&mut self, field: &Field) -> u64 {
        let size = self.of(&field.ty);
        let optional = !field.required || field.nullable;
        match field.ty {
            TypeRef::Integer { .. } | TypeRef::Number { .. } if optional => size + 8,
            _ => size,
        }
    }

    fn named(&mut self, id: TypeId) -> u64 {
        if let Some(size) = self.known.get(&id) {
            return *size;
        }
        // A type met again while being measured is recursive, so boxed where it recurs.
        self.known.insert(id, POINTER);
        let types = self.types;
        let size = match &types[id.0].kind {
            TypeKind::Struct {
                fields, additional, ..
            } => {
                let fields: u64 = fields.iter().map(|f| self.field(f)).sum();
                let size = fields + additional.as_ref().map_or(0, |_| COLLECTION);
                size.next_multiple_of(8)
            }
            TypeKind::Enum { open, .. } => {
                if *open {
                    COLLECTION + 8
                } else {
                    8
                }
            }
            TypeKind::Alias { target } => self.of(target),
            TypeKind::Validated { .. } => COLLECTION,
            TypeKind::Union { variants, .. } => {
                let largest = variants.iter().map(|v| self.of(&v.ty)).max().unwrap_or(0);
                8 + largest.max(VALUE)
            }
            TypeKind::Media { variants } => {
                8 + variants.iter().map(|v| self.of(&v.ty)).max().unwrap_or(0)
            }
        };
        self.known.insert(id, size);
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complexity_follows_clippys_measure() {
        let string = || TypeRef::String {
            format: None,
            secret: false,
        };
        // Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>: 10 + 20 + 30 + 30 + 40 +
        // 40 + 50.
        let map = |value| TypeRef::Map {
            key: None,
            value: Box::new(value),
        };
        let ty = map(map(TypeRef::Array(Box::new(string()))));
        assert_eq!(10 + complexity(&ty, 2), 220);
    }

    #[test]
    fn only_a_payload_far_larger_than_the_next_is_boxed() {
        assert_eq!(to_box(&[300, 40, 0]), [true, false, false]);
        assert_eq!(to_box(&[300, 250, 0]), [false, false, false]);
        assert_eq!(to_box(&[600, 300, 0]), [true, true, false]);
        assert_eq!(to_box(&[0]), [false]);
    }
}
