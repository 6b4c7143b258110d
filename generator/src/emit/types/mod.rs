//! The `types` module: every named type of the IR, plus the shared error type and its code
//! enum when the config declares one. A file a kind of type.

mod enums;
mod error;
mod media;
mod objects;
mod structs;
mod unions;
mod validated;

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::docs::{doc_attrs, type_doc};
use crate::emit::part::Part;
use crate::emit::rust_types::{ident, type_tokens};
use crate::error::EmitError;
use crate::ir::{EnumVariant, Ir, TypeId, TypeKind};
use enums::{enum_type, integer_enum_type};
use error::error_type;
use media::media_type;
use structs::struct_type;
use unions::union_type;
use validated::validated_type;

/// The module's parts, in order: a part per named type, and the error code enum.
pub(in crate::emit) fn parts(ir: &Ir) -> Vec<Part<'_>> {
    let types = (0..ir.types.len()).map(move |index| {
        let id = TypeId(index);
        Part::gated(ir.features_of_type(id), move || type_item(ir, id))
    });
    types
        .chain(std::iter::once(Part::rust(|| error_code_enum(ir))))
        .collect()
}

// Long because it is one dispatch over every kind of type, each arm a call.
fn type_item(ir: &Ir, id: TypeId) -> Result<TokenStream, EmitError> {
    let root = quote!(crate);
    let def = ir.type_def(id);
    Ok(match &def.kind {
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
            struct_type(ir, id, fields, additional, &root)
        }
        TypeKind::Union {
            variants,
            tag,
            fallback,
        } => union_type(ir, id, variants, tag.as_deref(), fallback, &root),
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
            Some(&type_doc(def)),
            variants,
            open.then_some(fallback.as_str()),
            None,
        ),
        TypeKind::Validated {
            format,
            pattern,
            max_bytes,
            example,
        } => validated_type(def, format, pattern.as_deref(), *max_bytes, example),
        TypeKind::Alias { target } => {
            let docs = doc_attrs(Some(&type_doc(def)));
            let name = ident(&def.name);
            let target = type_tokens(ir, target, &root);
            quote! {
                #docs
                pub type #name = #target;
            }
        }
    })
}

/// The machine-readable codes of the shared error, as an enum.
fn error_code_enum(ir: &Ir) -> TokenStream {
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
    enum_type(
        &error.code_type_name,
        Some(&description),
        &variants,
        Some(&error.code_fallback),
        Some(&docs),
    )
}
