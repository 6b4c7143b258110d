//! Structs: one field per property, a flattened map for the properties beyond them, a
//! constructor from the required fields.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::objects::{Absent, ObjectField, WrittenIf, object_impls};
use crate::emit::docs::{doc_attrs, field_doc, type_doc};
use crate::emit::rust_types::{default_expr, ident, type_tokens};
use crate::ir::{Field, Ir, TypeId, TypeRef};

/// The field's Rust type, as stored in the struct (optionality applied).
pub(super) fn field_type(
    ir: &Ir,
    field: &Field,
    root: &TokenStream,
    has_default: bool,
) -> TokenStream {
    let inner = type_tokens(ir, &field.ty, root);
    if (field.required && !field.nullable) || has_default {
        inner
    } else if absent_or_null(field) {
        quote!(::std::option::Option<::std::option::Option<#inner>>)
    } else {
        quote!(::std::option::Option<#inner>)
    }
}

/// Whether a field tells absent from `null`: an optional, nullable property is `None` when
/// absent and `Some(None)` when `null`, so both survive a round trip.
pub(super) fn absent_or_null(field: &Field) -> bool {
    !field.required && field.nullable
}

/// What an absent property makes of an optional field without a default, and when the
/// field is written: `None`, written while `Some`.
pub(super) fn optional_field(field: &Field, ident: Ident) -> ObjectField {
    ObjectField {
        ident,
        wire: field.name.clone(),
        absent: if absent_or_null(field) {
            Absent::NoneBesideNull
        } else {
            Absent::Default
        },
        written_if: Some(WrittenIf::Some),
    }
}

// Long because one pass over the fields builds the struct, its constructor and its
// defaults together, which must agree.
pub(super) fn struct_type(
    ir: &Ir,
    id: TypeId,
    fields: &[Field],
    additional: Option<(&TypeRef, &str)>,
    root: &TokenStream,
) -> TokenStream {
    let def = ir.type_def(id);
    let name = ident(&def.name);
    let docs = doc_attrs(Some(&type_doc(def)));
    let mut field_tokens = Vec::new();
    let mut object_fields = Vec::new();
    let mut default_fns = Vec::new();
    let mut constructor_params = Vec::new();
    let mut constructor_values = Vec::new();
    for field in fields {
        let field_ident = ident(&field.ident);
        let wire = &field.name;
        let field_docs = doc_attrs(Some(&field_doc(field)));
        let default = field
            .default
            .as_ref()
            .filter(|_| !field.required)
            .and_then(|value| default_expr(ir, &field.ty, value, root));
        let ty = field_type(ir, field, root, default.is_some());
        let always = |absent| ObjectField {
            ident: field_ident.clone(),
            wire: wire.clone(),
            absent,
            written_if: None,
        };
        object_fields.push(match &default {
            Some(expr) => {
                let default_fn = ident(&field.default_fn);
                default_fns.push(quote! {
                    fn #default_fn() -> #ty { #expr }
                });
                constructor_values.push(quote!(#field_ident: Self::#default_fn()));
                always(Absent::DefaultFn(quote!(#name::#default_fn)))
            }
            None if field.required && !field.nullable => {
                constructor_params.push(quote!(#field_ident: #ty));
                constructor_values.push(quote!(#field_ident));
                always(Absent::Missing)
            }
            // Required but nullable: an `Option`, which an absent property leaves `None`.
            None if field.required => {
                constructor_params.push(quote!(#field_ident: #ty));
                constructor_values.push(quote!(#field_ident));
                always(Absent::Default)
            }
            None => {
                constructor_values.push(quote!(#field_ident: ::std::option::Option::None));
                optional_field(field, field_ident.clone())
            }
        });
        field_tokens.push(quote! {
            #field_docs
            pub #field_ident: #ty,
        });
    }
    let extra = additional.map(|(additional, field)| {
        let value = type_tokens(ir, additional, root);
        let extra = ident(field);
        field_tokens.push(quote! {
            /// Properties beyond the ones named above.
            pub #extra: ::std::collections::BTreeMap<::std::string::String, #value>,
        });
        constructor_values.push(quote!(#extra: ::std::collections::BTreeMap::new()));
        extra
    });
    let serde_impls = object_impls(&name, &object_fields, extra.as_ref());
    let many = (constructor_params.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let new_doc = if constructor_params.is_empty() {
        format!(" A `{}` with every optional field unset.", def.name)
    } else {
        format!(
            " A `{}` from its required fields; the optional ones are unset.",
            def.name
        )
    };
    let default_impl = constructor_params.is_empty().then(|| {
        quote! {
            impl ::std::default::Default for #name {
                fn default() -> Self { Self::new() }
            }
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name {
            #(#field_tokens)*
        }

        #serde_impls

        impl #name {
            #[doc = #new_doc]
            #many
            pub fn new(#(#constructor_params),*) -> Self {
                Self { #(#constructor_values),* }
            }
            #(#default_fns)*
        }

        #default_impl
    }
}
