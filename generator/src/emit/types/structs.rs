//! Structs: one field per property, a flattened map for the properties beyond them, a
//! constructor from the required fields.

use proc_macro2::TokenStream;
use quote::quote;

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

/// The serde attribute of an optional field without a default.
pub(super) fn optional_attr(field: &Field) -> TokenStream {
    if absent_or_null(field) {
        quote!(#[serde(
            default,
            skip_serializing_if = "::std::option::Option::is_none",
            deserialize_with = "null_is_some"
        )])
    } else {
        quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")])
    }
}

/// The types whose fields need the helper [`null_is_some_fn`].
pub(super) fn null_is_some_users(ir: &Ir) -> Vec<TypeId> {
    (0..ir.types.len())
        .map(TypeId)
        .filter(|id| match &ir.type_def(*id).kind {
            crate::ir::TypeKind::Struct { fields, .. } => fields
                .iter()
                .any(|f| absent_or_null(f) && f.default.is_none()),
            _ => false,
        })
        .collect()
}

/// The helper [`optional_attr`] names, emitted once where a field needs it: serde reads a
/// present `null` into the outer `Option` as `None` unless told otherwise.
pub(super) fn null_is_some_fn() -> TokenStream {
    quote! {
        /// A present value, `null` included, of a field that tells absent from `null`.
        fn null_is_some<'de, D, T>(
            deserializer: D,
        ) -> ::std::result::Result<::std::option::Option<::std::option::Option<T>>, D::Error>
        where
            D: ::serde::Deserializer<'de>,
            T: ::serde::Deserialize<'de>,
        {
            <::std::option::Option<T> as ::serde::Deserialize>::deserialize(deserializer)
                .map(::std::option::Option::Some)
        }
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
        let rename = (field.ident != field.name).then(|| quote!(#[serde(rename = #wire)]));
        let serde_attr = match &default {
            Some(expr) => {
                let default_fn = ident(&field.default_fn);
                let path = format!("{}::{default_fn}", def.name);
                default_fns.push(quote! {
                    fn #default_fn() -> #ty { #expr }
                });
                constructor_values.push(quote!(#field_ident: Self::#default_fn()));
                quote!(#[serde(default = #path)])
            }
            None if field.required && !field.nullable => {
                constructor_params.push(quote!(#field_ident: #ty));
                constructor_values.push(quote!(#field_ident));
                quote!()
            }
            None if field.required => {
                constructor_params.push(quote!(#field_ident: #ty));
                constructor_values.push(quote!(#field_ident));
                quote!(#[serde(default)])
            }
            None => {
                constructor_values.push(quote!(#field_ident: ::std::option::Option::None));
                optional_attr(field)
            }
        };
        field_tokens.push(quote! {
            #field_docs
            #rename
            #serde_attr
            pub #field_ident: #ty,
        });
    }
    if let Some((additional, field)) = additional {
        let value = type_tokens(ir, additional, root);
        let extra = ident(field);
        field_tokens.push(quote! {
            /// Properties beyond the ones named above.
            #[serde(flatten)]
            pub #extra: ::std::collections::BTreeMap<::std::string::String, #value>,
        });
        constructor_values.push(quote!(#extra: ::std::collections::BTreeMap::new()));
    }
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
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#field_tokens)*
        }

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
