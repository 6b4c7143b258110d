//! Recursive types: which uses of a named type inside another must be boxed for every
//! type to have a size.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{TypeDef, TypeId, TypeKind, TypeRef};

/// Which named types contain which directly (not behind a `Vec` or a map, which are
/// indirections already): a type that can reach itself this way has infinite size unless
/// the edges inside its cycle are boxed. The result maps each type to the types it must
/// box: those in its own strongly connected component. The result is those edges, as
/// (`owner`, `target`).
// Long because Tarjan's algorithm is kept whole, beside the edges it runs on.
pub(super) fn recursive_edges(types: &[TypeDef]) -> BTreeSet<(TypeId, TypeId)> {
    fn direct(ty: &TypeRef, out: &mut Vec<TypeId>) {
        match ty {
            TypeRef::Named(id) => out.push(*id),
            TypeRef::Tuple(items) => items.iter().for_each(|item| direct(item, out)),
            _ => {}
        }
    }
    let edges: BTreeMap<TypeId, Vec<TypeId>> = types
        .iter()
        .enumerate()
        .map(|(index, def)| {
            let mut out = Vec::new();
            match &def.kind {
                TypeKind::Struct { fields, .. } => {
                    fields.iter().for_each(|f| direct(&f.ty, &mut out))
                }
                TypeKind::Union { variants, .. } => {
                    variants.iter().for_each(|v| direct(&v.ty, &mut out))
                }
                TypeKind::Media { variants } => {
                    variants.iter().for_each(|v| direct(&v.ty, &mut out))
                }
                TypeKind::Alias { target } => direct(target, &mut out),
                TypeKind::Enum { .. } | TypeKind::Validated { .. } => {}
            }
            (TypeId(index), out)
        })
        .collect();
    // Tarjan's algorithm, iteration order fixed by the BTreeMap, so output is stable.
    struct Tarjan<'a> {
        edges: &'a BTreeMap<TypeId, Vec<TypeId>>,
        index: BTreeMap<TypeId, usize>,
        low: BTreeMap<TypeId, usize>,
        stack: Vec<TypeId>,
        on_stack: BTreeSet<TypeId>,
        component: BTreeMap<TypeId, usize>,
        components: usize,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, node: TypeId) {
            let i = self.index.len();
            self.index.insert(node, i);
            self.low.insert(node, i);
            self.stack.push(node);
            self.on_stack.insert(node);
            for &next in self.edges.get(&node).into_iter().flatten() {
                if !self.index.contains_key(&next) {
                    self.visit(next);
                    let low = self.low[&node].min(self.low[&next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(&next) {
                    let low = self.low[&node].min(self.index[&next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[&node] == self.index[&node] {
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(&member);
                    self.component.insert(member, self.components);
                    if member == node {
                        break;
                    }
                }
                self.components += 1;
            }
        }
    }
    let mut tarjan = Tarjan {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        component: BTreeMap::new(),
        components: 0,
    };
    for &node in edges.keys() {
        if !tarjan.index.contains_key(&node) {
            tarjan.visit(node);
        }
    }
    let mut boxed = BTreeSet::new();
    for (from, targets) in &edges {
        for to in targets {
            if tarjan.component.get(from) == tarjan.component.get(to) {
                boxed.insert((*from, *to));
            }
        }
    }
    boxed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::ir::Field;

    fn structure(name: &str, fields: &[(&str, TypeRef)]) -> TypeDef {
        TypeDef {
            name: name.into(),
            description: None,
            origins: vec![Location::new("a.yaml", "")],
            kind: TypeKind::Struct {
                fields: fields
                    .iter()
                    .map(|(name, ty)| Field {
                        name: (*name).into(),
                        ident: (*name).into(),
                        default_fn: String::new(),
                        description: None,
                        ty: ty.clone(),
                        required: true,
                        nullable: false,
                        default: None,
                    })
                    .collect(),
                additional: None,
                additional_field: "extra".into(),
            },
        }
    }

    #[test]
    fn only_edges_inside_a_cycle_are_boxed_and_lists_break_cycles() {
        let named = |id| TypeRef::Named(TypeId(id));
        let types = [
            // 0 ⇄ 1 directly: a cycle; 1 → 2 leaves it.
            structure("A", &[("b", named(1))]),
            structure("B", &[("a", named(0)), ("c", named(2))]),
            structure("C", &[]),
            // 3 holds itself only through a list: already an indirection.
            structure("Tree", &[("children", TypeRef::Array(Box::new(named(3))))]),
            // 4 holds itself directly.
            structure("Node", &[("next", named(4))]),
        ];
        let edges = recursive_edges(&types);
        let expected: BTreeSet<(TypeId, TypeId)> = [(0, 1), (1, 0), (4, 4)]
            .into_iter()
            .map(|(a, b)| (TypeId(a), TypeId(b)))
            .collect();
        assert_eq!(edges, expected);
    }
}
