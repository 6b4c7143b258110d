//! `oneOf` / `anyOf` unions, tagged or untagged.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::emit::docs::{doc_attrs, type_doc};
use crate::emit::rust_types::{ident, type_tokens};
use crate::ir::{Ir, TypeId, UnionVariant};

/// `oneOf` / `anyOf`. Serialized as the variant's own value. Deserialized by the tag
/// property's value when there is one, otherwise as the first variant the value fits; a
/// value that fits none is kept in the fallback rather than refused, so a newer peer's
/// variant does not make the whole message unreadable.
pub(super) fn union_type(
    ir: &Ir,
    id: TypeId,
    variants: &[UnionVariant],
    tag: Option<&str>,
    fallback: &str,
    root: &TokenStream,
) -> TokenStream {
    let def = ir.type_def(id);
    let name = ident(&def.name);
    let docs = doc_attrs(Some(&type_doc(def)));
    let fallback = ident(fallback);
    let variant_idents: Vec<Ident> = variants.iter().map(|v| ident(&v.name)).collect();
    let variant_types: Vec<TokenStream> = variants
        .iter()
        .map(|v| type_tokens(ir, &v.ty, root))
        .collect();
    let variant_docs: Vec<TokenStream> = variants
        .iter()
        .map(|v| {
            let text = match tag {
                Some(tag) if !v.tag_values.is_empty() => {
                    let values: Vec<String> = v
                        .tag_values
                        .iter()
                        .map(|value| format!("`{value}`"))
                        .collect();
                    format!("`{tag}` is {}.", values.join(" or "))
                }
                _ => format!("A `{}` value.", v.name),
            };
            doc_attrs(Some(&text))
        })
        .collect();
    let fallback_doc = match tag {
        Some(tag) => format!(" A value whose `{tag}` names no variant above, as received."),
        None => " A value that fits no variant above, as received.".to_owned(),
    };
    // Written as the value it holds, whichever variant holds it.
    let declaration = quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name {
            #(#variant_docs #variant_idents(#variant_types),)*
            #[doc = #fallback_doc]
            #fallback(::serde_json::Value),
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #(Self::#variant_idents(value) => ::serde::Serialize::serialize(value, serializer),)*
                    Self::#fallback(value) => ::serde::Serialize::serialize(value, serializer),
                }
            }
        }
    };
    // Untagged, the first variant the value fits wins (as serde's `untagged` tries them);
    // tagged, the tag picks one.
    let Some(tag) = tag else {
        return quote! {
            #declaration

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                    #(
                        if let ::std::result::Result::Ok(variant) = <#variant_types as ::serde::Deserialize>::deserialize(&value) {
                            return ::std::result::Result::Ok(Self::#variant_idents(variant));
                        }
                    )*
                    ::std::result::Result::Ok(Self::#fallback(value))
                }
            }
        };
    };
    let arms = variants
        .iter()
        .zip(&variant_idents)
        .filter(|(v, _)| !v.tag_values.is_empty())
        .map(|(v, variant)| {
            let values = &v.tag_values;
            quote! {
                ::std::option::Option::Some(#(#values)|*) => ::serde_json::from_value(value)
                    .map(Self::#variant)
                    .map_err(::serde::de::Error::custom),
            }
        });
    quote! {
        #declaration

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                match value.get(#tag).and_then(::serde_json::Value::as_str) {
                    #(#arms)*
                    _ => ::std::result::Result::Ok(Self::#fallback(value)),
                }
            }
        }
    }
}
