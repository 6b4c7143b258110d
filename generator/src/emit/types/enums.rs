//! String and integer enums, open (with a fallback variant) or closed.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::emit::docs::{doc_attrs, type_doc};
use crate::emit::rust_types::ident;
use crate::ir::{EnumVariant, TypeDef};

/// A string enum with its serde impls written out: open enums keep unknown values in a
/// fallback variant, closed ones refuse them with serde's "unknown variant".
// Long because most of it is the quoted enum with its hand-written serde impls.
pub(super) fn enum_type(
    name: &str,
    description: Option<&str>,
    variants: &[EnumVariant],
    fallback: Option<&str>,
    variant_docs: Option<&[&str]>,
) -> TokenStream {
    let name_ident = ident(name);
    let docs = doc_attrs(description);
    let variant_idents: Vec<Ident> = variants.iter().map(|v| ident(&v.name)).collect();
    let values: Vec<&str> = variants.iter().map(|v| v.value.as_str()).collect();
    let variant_doc_attrs: Vec<TokenStream> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let text = match variant_docs.and_then(|d| d.get(i)) {
                Some(doc) => format!("`{}`: {doc}", v.value),
                None => format!("`{}`", v.value),
            };
            doc_attrs(Some(&text))
        })
        .collect();
    let Some(fallback) = fallback else {
        let expecting = format!(
            "one of {}",
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let serde_impls = string_serde(
            &name_ident,
            &expecting,
            quote! {
                match value {
                    #(#values => ::std::result::Result::Ok(#name_ident::#variant_idents),)*
                    other => ::std::result::Result::Err(E::unknown_variant(other, &[#(#values),*])),
                }
            },
        );
        return quote! {
            #docs
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #name_ident {
                #(
                    #variant_doc_attrs
                    #variant_idents,
                )*
            }

            #serde_impls

            impl #name_ident {
                /// The value on the wire.
                pub fn as_str(&self) -> &'static str {
                    match self { #(Self::#variant_idents => #values,)* }
                }
            }

            impl ::std::fmt::Display for #name_ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        };
    };
    let fallback = ident(fallback);
    let expecting = format!("a {name} string");
    let from_str = if variants.is_empty() {
        quote!(Self::#fallback(::std::string::String::from(value)))
    } else {
        quote! {
            match value {
                #(#values => Self::#variant_idents,)*
                other => Self::#fallback(::std::string::String::from(other)),
            }
        }
    };
    let serde_impls = string_serde(
        &name_ident,
        &expecting,
        quote!(::std::result::Result::Ok(#name_ident::from(value))),
    );
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name_ident {
            #(
                #variant_doc_attrs
                #variant_idents,
            )*
            /// A value the spec does not list. Holds only such values: parsing a listed
            /// value always gives its own variant.
            #fallback(::std::string::String),
        }

        impl #name_ident {
            /// The value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variant_idents => #values,)*
                    Self::#fallback(value) => value,
                }
            }
        }

        impl ::std::convert::From<&str> for #name_ident {
            fn from(value: &str) -> Self {
                #from_str
            }
        }

        impl ::std::convert::From<::std::string::String> for #name_ident {
            fn from(value: ::std::string::String) -> Self {
                Self::from(value.as_str())
            }
        }

        impl ::std::fmt::Display for #name_ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #serde_impls
    }
}

/// A string enum's serde impls: written as `as_str()`, read from a string by `read` (an
/// expression over `value: &str` giving `Result<Self, E>`), which `expecting` describes.
fn string_serde(name_ident: &Ident, expecting: &str, read: TokenStream) -> TokenStream {
    quote! {
        impl ::serde::Serialize for #name_ident {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name_ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                // Named so that no generated type can be shadowed by it.
                struct __Visitor;
                impl ::serde::de::Visitor<'_> for __Visitor {
                    type Value = #name_ident;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name_ident, E> {
                        #read
                    }
                }
                deserializer.deserialize_str(__Visitor)
            }
        }
    }
}

/// An integer enum: the variants stand for numbers on the wire.
pub(super) fn integer_enum_type(
    def: &TypeDef,
    variants: &[EnumVariant],
    fallback: Option<&str>,
) -> TokenStream {
    let name_ident = ident(&def.name);
    let docs = doc_attrs(Some(&type_doc(def)));
    let variant_idents: Vec<Ident> = variants.iter().map(|v| ident(&v.name)).collect();
    let values: Vec<proc_macro2::Literal> = variants
        .iter()
        .map(|v| proc_macro2::Literal::i64_unsuffixed(v.value.parse().unwrap_or_default()))
        .collect();
    let variant_docs = variants
        .iter()
        .map(|v| doc_attrs(Some(&format!("`{}`", v.value))));
    let listed: Vec<&str> = variants.iter().map(|v| v.value.as_str()).collect();
    let unknown = format!("one of {}", listed.join(", "));
    let (fallback_variant, fallback_value, fallback_parse) = if let Some(fallback) = fallback {
        let fallback = ident(fallback);
        (
            quote! {
                /// A value the spec does not list.
                #fallback(i64),
            },
            quote!(Self::#fallback(value) => *value,),
            quote!(other => ::std::result::Result::Ok(Self::#fallback(other)),),
        )
    } else {
        (
            quote!(),
            quote!(),
            quote! {
                other => ::std::result::Result::Err(::serde::de::Error::invalid_value(
                    ::serde::de::Unexpected::Signed(other),
                    &#unknown,
                )),
            },
        )
    };
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name_ident {
            #(#variant_docs #variant_idents,)*
            #fallback_variant
        }

        impl #name_ident {
            /// The value on the wire.
            pub fn value(&self) -> i64 {
                match self {
                    #(Self::#variant_idents => #values,)*
                    #fallback_value
                }
            }
        }

        impl ::std::fmt::Display for #name_ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}", self.value())
            }
        }

        impl ::serde::Serialize for #name_ident {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name_ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                match <i64 as ::serde::Deserialize>::deserialize(deserializer)? {
                    #(#values => ::std::result::Result::Ok(Self::#variant_idents),)*
                    #fallback_parse
                }
            }
        }
    }
}
