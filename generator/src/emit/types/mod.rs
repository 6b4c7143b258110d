//! The `types` module: every named type of the IR, plus the shared error type and its code
//! enum when the config declares one. A file a kind of type.

mod enums;
mod error;
mod media;
mod recursion;
mod structs;
mod unions;

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::EmitError;
use crate::emit::docs::doc_attrs;
use crate::emit::rust_types::{ident, type_tokens};
use crate::ir::{EnumVariant, Ir, TypeId, TypeKind};
use enums::{enum_type, integer_enum_type};
use error::error_type;
use media::media_type;
use recursion::recursive_types;
use structs::{null_is_some_fn, struct_type};
use unions::union_type;

// Long because it is one dispatch over every kind of type, each arm a call.
pub fn emit_types(ir: &Ir) -> Result<Vec<TokenStream>, EmitError> {
    let root = quote!(crate);
    let recursive = recursive_types(ir);
    let mut items = Vec::new();
    for (index, def) in ir.types.iter().enumerate() {
        let id = TypeId(index);
        let item = match &def.kind {
            TypeKind::Struct { fields, .. } if ir.error.type_id == id => {
                error_type(ir, def, fields, &root)?
            }
            TypeKind::Struct {
                fields,
                additional,
                additional_field,
            } => {
                let additional = additional
                    .as_ref()
                    .map(|ty| (ty, additional_field.as_str()));
                struct_type(ir, id, fields, additional, &recursive, &root)
            }
            TypeKind::Union {
                variants,
                tag,
                fallback,
            } => union_type(
                ir,
                id,
                variants,
                tag.as_deref(),
                fallback,
                &recursive,
                &root,
            ),
            TypeKind::Media { variants } => media_type(ir, id, variants, &root),
            TypeKind::Enum {
                variants,
                open,
                fallback,
                integer: true,
            } => integer_enum_type(def, variants, open.then_some(fallback.as_str())),
            TypeKind::Enum {
                variants,
                open,
                fallback,
                ..
            } => enum_type(
                &def.name,
                def.description.as_deref(),
                variants,
                open.then_some(fallback.as_str()),
                None,
            ),
            TypeKind::Alias { target } => {
                let docs = doc_attrs(def.description.as_deref());
                let name = ident(&def.name);
                let target = type_tokens(ir, target, &root);
                quote! {
                    #docs
                    pub type #name = #target;
                }
            }
        };
        items.push(item);
    }
    items.extend(null_is_some_fn(ir));
    {
        let error = &ir.error;
        let variants: Vec<EnumVariant> = error
            .codes
            .iter()
            .map(|c| EnumVariant {
                value: c.code.clone(),
                name: c.name.clone(),
            })
            .collect();
        let docs: Vec<&str> = error.codes.iter().map(|c| c.description.as_str()).collect();
        let description = format!(
            "The machine-readable code of a [`{}`]: one variant per standard code, and a fallback for any other.",
            error.type_name
        );
        items.push(enum_type(
            &error.code_type_name,
            Some(&description),
            &variants,
            Some(&error.code_fallback),
            Some(&docs),
        ));
    }
    Ok(items)
}
