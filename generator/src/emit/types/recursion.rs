//! Recursive types: which fields must be boxed for a type to have a size.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::rust_types::type_tokens;
use crate::ir::{Ir, TypeId, TypeKind, TypeRef};

/// Which named types contain which directly (not behind a `Vec` or a map, which are
/// indirections already): a type that can reach itself this way has infinite size unless
/// the edges inside its cycle are boxed. The result maps each type to the types it must
/// box: those in its own strongly connected component.
// Long because Tarjan's algorithm is kept whole, beside the edges it runs on.
pub(super) fn recursive_types(ir: &Ir) -> Recursion {
    fn direct(ty: &TypeRef, out: &mut Vec<TypeId>) {
        match ty {
            TypeRef::Named(id) => out.push(*id),
            TypeRef::Tuple(items) => items.iter().for_each(|item| direct(item, out)),
            _ => {}
        }
    }
    let edges: BTreeMap<TypeId, Vec<TypeId>> = ir
        .types
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
                TypeKind::Enum { .. } => {}
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
    Recursion { boxed }
}

/// The edges (`owner`, `target`) that must be boxed.
#[derive(Default)]
pub(super) struct Recursion {
    boxed: BTreeSet<(TypeId, TypeId)>,
}

impl Recursion {
    /// `ty` as `owner` holds it: boxed where `owner` and `ty` are in one cycle.
    pub(super) fn held(
        &self,
        ir: &Ir,
        owner: TypeId,
        ty: &TypeRef,
        root: &TokenStream,
    ) -> TokenStream {
        let tokens = type_tokens(ir, ty, root);
        match ty {
            TypeRef::Named(id) if self.boxed.contains(&(owner, *id)) => {
                quote!(::std::boxed::Box<#tokens>)
            }
            _ => tokens,
        }
    }
}
