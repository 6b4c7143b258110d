//! The newtypes of string formats the config gives a type of their own (`[formats]`): a
//! string that parsing and deserializing build only from a value that keeps the format's
//! rule, and that reads as a `str` everywhere else. What every one shares (the error, the
//! check) is in the verbatim `strings` module.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::docs::doc_attrs;
use crate::emit::rust_types::ident;
use crate::ir::TypeDef;

/// The newtype `def` of `format`, with the conversions a string type is expected to have.
// Long because most of it is the quoted type and its trait impls.
pub(super) fn validated_type(
    def: &TypeDef,
    format: &str,
    pattern: Option<&str>,
    max_bytes: Option<usize>,
    example: &str,
) -> TokenStream {
    let name = ident(&def.name);
    let mut rule = Vec::new();
    if let Some(max) = max_bytes {
        rule.push(format!("at most {max} bytes"));
    }
    if let Some(pattern) = pattern {
        rule.push(format!("matching `{pattern}`"));
    }
    let rule = if rule.is_empty() {
        "any string".to_owned()
    } else {
        rule.join(", ")
    };
    let description = format!(
        "{}\n\nFormat `{format}`: {rule}; for example `{example}`. Parsing and deserializing refuse any other value.",
        def.description.as_deref().unwrap_or_default()
    );
    let docs = doc_attrs(Some(&description));
    let max_bytes = match max_bytes {
        Some(max) => quote!(::std::option::Option::Some(#max)),
        None => quote!(::std::option::Option::None),
    };
    // The expression is compiled once, on first use; the generator compiled it already with
    // the same engine, so it cannot fail here.
    let pattern = match pattern {
        Some(pattern) => quote! {
            ::std::option::Option::Some((#pattern, |value: &str| {
                static PATTERN: ::std::sync::LazyLock<::regex_lite::Regex> =
                    ::std::sync::LazyLock::new(|| {
                        ::regex_lite::Regex::new(#pattern).expect("the generator checked the pattern")
                    });
                PATTERN.is_match(value)
            }))
        },
        None => quote!(::std::option::Option::None),
    };
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct #name(::std::string::String);

        impl #name {
            /// The string format whose values this type holds.
            pub const FORMAT: &'static str = #format;

            /// `value`, if it is of the format.
            pub fn parse(
                value: impl ::std::convert::Into<::std::string::String>,
            ) -> ::std::result::Result<Self, crate::strings::InvalidFormat> {
                let value = value.into();
                crate::strings::check(&value, Self::FORMAT, #max_bytes, #pattern)?;
                ::std::result::Result::Ok(Self(value))
            }

            /// The value, as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, as the string it is.
            pub fn into_string(self) -> ::std::string::String {
                self.0
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = crate::strings::InvalidFormat;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::parse(value)
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for #name {
            type Error = crate::strings::InvalidFormat;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl ::std::convert::TryFrom<&str> for #name {
            type Error = crate::strings::InvalidFormat;
            fn try_from(value: &str) -> ::std::result::Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl ::std::convert::From<#name> for ::std::string::String {
            fn from(value: #name) -> Self {
                value.0
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::ops::Deref for #name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<str> for #name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl ::std::cmp::PartialEq<str> for #name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl ::std::cmp::PartialEq<&str> for #name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl ::std::cmp::PartialEq<::std::string::String> for #name {
            fn eq(&self, other: &::std::string::String) -> bool {
                self.0 == *other
            }
        }

        impl ::std::cmp::PartialEq<#name> for str {
            fn eq(&self, other: &#name) -> bool {
                *self == other.0
            }
        }

        impl ::std::cmp::PartialEq<#name> for &str {
            fn eq(&self, other: &#name) -> bool {
                **self == other.0
            }
        }

        impl ::std::cmp::PartialEq<#name> for ::std::string::String {
            fn eq(&self, other: &#name) -> bool {
                *self == other.0
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(value).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    }
}
