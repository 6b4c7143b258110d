//! Which Cargo features use each named type, through the operations they build and the
//! types those hold. The generated crate has a feature per API (and per tag, where the
//! config asks for it), and a type builds whenever any feature that uses it is enabled; the
//! shared error builds always (the runtime and every operation answer with it).

use std::collections::BTreeSet;

use crate::ir::{Ir, TypeId, TypeKind};

/// Fills `Ir::type_users`.
pub(super) fn decide(ir: &mut Ir) {
    let mut users = vec![BTreeSet::new(); ir.types.len()];
    let index_of = |feature: &String| ir.features.iter().position(|f| f == feature);
    for api in &ir.apis {
        for op in &api.operations {
            let mut stack = Vec::new();
            let parameters = op.parameters.iter().map(|p| &p.ty);
            let body = op.body.iter().map(|b| &b.ty);
            let responses = op.responses.iter().filter_map(|r| r.ty.as_ref());
            for ty in parameters.chain(body).chain(responses) {
                ty.named_ids(&mut stack);
            }
            for feature in op.features.iter().filter_map(index_of) {
                reach(ir, &mut users, feature, stack.clone());
            }
        }
    }
    for feature in 0..ir.features.len() {
        reach(ir, &mut users, feature, vec![ir.error.type_id]);
    }
    ir.type_users = users;
}

/// Marks `feature` as a user of the types in `stack` and of every type they hold.
fn reach(ir: &Ir, users: &mut [BTreeSet<usize>], feature: usize, mut stack: Vec<TypeId>) {
    while let Some(id) = stack.pop() {
        if !users[id.0].insert(feature) {
            continue;
        }
        match &ir.types[id.0].kind {
            TypeKind::Struct {
                fields, additional, ..
            } => {
                fields.iter().for_each(|f| f.ty.named_ids(&mut stack));
                additional.iter().for_each(|ty| ty.named_ids(&mut stack));
            }
            TypeKind::Union { variants, .. } => {
                variants.iter().for_each(|v| v.ty.named_ids(&mut stack))
            }
            TypeKind::Media { variants } => {
                variants.iter().for_each(|v| v.ty.named_ids(&mut stack))
            }
            TypeKind::Alias { target } => target.named_ids(&mut stack),
            TypeKind::Enum { .. } | TypeKind::Validated { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::ir_of_files;

    fn spec(path: &str, schema: &str) -> String {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  {path}:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '{schema}'}}\n"
        )
    }

    #[test]
    fn a_type_is_used_by_the_apis_that_reach_it_and_builds_with_any_of_them() {
        let shared = "type: object\nproperties: {id: {type: string}}\n";
        let own = "type: object\nproperties: {shared: {$ref: 'shared.yaml'}}\n";
        let ir = ir_of_files(
            &[
                ("first", &spec("/a", "own.yaml")),
                ("second", &spec("/b", "shared.yaml")),
                ("third", &spec("/c", "other.yaml")),
            ],
            &[
                ("shared.yaml", shared),
                ("own.yaml", own),
                ("other.yaml", "type: string\nenum: [x]\n"),
            ],
            "",
        );
        let id = |name: &str| ir.type_ref(name).and_then(|t| t.named_id()).unwrap();
        // `Shared` through `Own` (first) and directly (second).
        assert_eq!(ir.features_of_type(id("Shared")), ["first", "second"]);
        assert_eq!(ir.features_of_type(id("Own")), ["first"]);
        // The error body builds with every API: no feature needed.
        assert!(ir.features_of_type(ir.error.type_id).is_empty());
    }
}
