//! The one place a type use of the IR becomes a Rust type: as tokens for the code and as
//! text for the docs, from the same mapping, so the two can never disagree.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::ir::{Ir, TypeKind, TypeRef};

/// An identifier the IR decided.
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The Rust type of a type use, as a tree.
enum RustType<'a> {
    /// A type of std or serde_json: its full path, and the short name docs show.
    Leaf {
        path: TokenStream,
        short: &'static str,
    },
    Vec(Box<RustType<'a>>),
    Tuple(Vec<RustType<'a>>),
    /// A map, with the name of its keys' type when they have one of their own.
    Map(Option<&'a str>, Box<RustType<'a>>),
    Boxed(Box<RustType<'a>>),
    Option(Box<RustType<'a>>),
    /// A type of the user's own, by the path the config gives.
    External(&'a str),
    /// A generated type of the `types` module.
    Named(&'a str),
    /// A type of one of the crate's verbatim modules, by its path from the crate root.
    Crate(&'static str),
}

fn rust_type<'a>(ir: &'a Ir, ty: &'a TypeRef) -> RustType<'a> {
    let leaf = |path, short| RustType::Leaf { path, short };
    match ty {
        TypeRef::String { secret: true, .. } => RustType::Crate("strings::Secret"),
        TypeRef::String { .. } => leaf(quote!(::std::string::String), "String"),
        TypeRef::Integer { format } if format.as_deref() == Some("int32") => {
            leaf(quote!(i32), "i32")
        }
        TypeRef::Integer { .. } => leaf(quote!(i64), "i64"),
        // JSON numbers are doubles: `format: float` too, or `0.1` would not survive.
        TypeRef::Number { .. } => leaf(quote!(f64), "f64"),
        TypeRef::Boolean => leaf(quote!(bool), "bool"),
        TypeRef::Bytes => leaf(quote!(::std::vec::Vec<u8>), "Vec<u8>"),
        TypeRef::Blob => RustType::Crate("media::Blob"),
        TypeRef::Array(item) => RustType::Vec(Box::new(rust_type(ir, item))),
        TypeRef::Tuple(items) => RustType::Tuple(items.iter().map(|i| rust_type(ir, i)).collect()),
        TypeRef::Map { key, value } => RustType::Map(
            key.map(|id| ir.type_def(id).name.as_str()),
            Box::new(rust_type(ir, value)),
        ),
        TypeRef::Object => leaf(
            quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>),
            "Map<String, Value>",
        ),
        TypeRef::Any => leaf(quote!(::serde_json::Value), "Value"),
        TypeRef::Named(id) => RustType::Named(&ir.type_def(*id).name),
        TypeRef::Boxed(inner) => RustType::Boxed(Box::new(rust_type(ir, inner))),
        TypeRef::Nullable(inner) => RustType::Option(Box::new(rust_type(ir, inner))),
        TypeRef::External(path) => RustType::External(path),
    }
}

/// The Rust type of a type use; `root` is the path of the generated crate (`crate` inside
/// it, `::my_api` outside).
pub fn type_tokens(ir: &Ir, ty: &TypeRef, root: &TokenStream) -> TokenStream {
    fn tokens(ty: RustType<'_>, root: &TokenStream) -> TokenStream {
        match ty {
            RustType::Leaf { path, .. } => path,
            RustType::Vec(item) => {
                let item = tokens(*item, root);
                quote!(::std::vec::Vec<#item>)
            }
            RustType::Tuple(items) => {
                let items = items.into_iter().map(|item| tokens(item, root));
                quote!((#(#items,)*))
            }
            RustType::Map(key, value) => {
                let value = tokens(*value, root);
                let key = match key {
                    Some(name) => tokens(RustType::Named(name), root),
                    None => quote!(::std::string::String),
                };
                quote!(::std::collections::BTreeMap<#key, #value>)
            }
            RustType::Named(name) => {
                let name = ident(name);
                quote!(#root::types::#name)
            }
            RustType::Crate(path) => {
                let segments = path.split("::").map(ident);
                quote!(#root #(::#segments)*)
            }
            RustType::Boxed(inner) => {
                let inner = tokens(*inner, root);
                quote!(::std::boxed::Box<#inner>)
            }
            RustType::Option(inner) => {
                let inner = tokens(*inner, root);
                quote!(::std::option::Option<#inner>)
            }
            // The config checked that the path parses as a type.
            RustType::External(path) => syn::parse_str::<syn::Type>(path)
                .map(|ty| quote!(#ty))
                .unwrap_or_default(),
        }
    }
    tokens(rust_type(ir, ty), root)
}

/// A type use as the reference shows it: the Rust type, without paths.
pub fn display(ir: &Ir, ty: &TypeRef) -> String {
    fn text(ty: RustType<'_>) -> String {
        match ty {
            RustType::Leaf { short, .. } => short.to_owned(),
            RustType::Vec(item) => format!("Vec<{}>", text(*item)),
            RustType::Tuple(items) => {
                let items: Vec<String> = items.into_iter().map(text).collect();
                format!("({})", items.join(", "))
            }
            RustType::Map(key, value) => {
                format!("BTreeMap<{}, {}>", key.unwrap_or("String"), text(*value))
            }
            RustType::Named(name) => name.to_owned(),
            RustType::Crate(path) => path.rsplit("::").next().unwrap_or(path).to_owned(),
            RustType::Boxed(inner) => format!("Box<{}>", text(*inner)),
            RustType::Option(inner) => format!("Option<{}>", text(*inner)),
            RustType::External(path) => path.trim_start_matches("::").to_owned(),
        }
    }
    text(rust_type(ir, ty))
}

/// An `http::StatusCode` expression for a status the spec or the config gives: its
/// constant where `http` 1.0 names one, otherwise the code (lower refuses a response
/// status outside 100-599, so the fallback is never taken).
pub fn status_code(code: u16) -> TokenStream {
    match crate::http::constant(code) {
        Some(name) => {
            let name = ident(name);
            quote!(::http::StatusCode::#name)
        }
        None => quote!(
            ::http::StatusCode::from_u16(#code).unwrap_or(::http::StatusCode::INTERNAL_SERVER_ERROR)
        ),
    }
}

/// An expression of type `ty` for a spec `default`, where one can be written.
pub fn default_expr(
    ir: &Ir,
    ty: &TypeRef,
    value: &Value,
    root: &TokenStream,
) -> Option<TokenStream> {
    Some(match (ty, value) {
        (TypeRef::String { secret: false, .. }, Value::String(s)) => {
            quote!(::std::string::String::from(#s))
        }
        (TypeRef::Boolean, Value::Bool(b)) => quote!(#b),
        (TypeRef::Integer { .. }, Value::Number(n)) => {
            let literal = proc_macro2::Literal::i64_unsuffixed(n.as_i64()?);
            quote!(#literal)
        }
        (TypeRef::Number { .. }, Value::Number(n)) => {
            let literal = proc_macro2::Literal::f64_unsuffixed(n.as_f64()?);
            quote!(#literal)
        }
        (TypeRef::Named(id), Value::String(s)) => {
            let def = ir.type_def(*id);
            let TypeKind::Enum {
                variants,
                integer: false,
                ..
            } = &def.kind
            else {
                return None;
            };
            let variant = ident(&variants.iter().find(|v| &v.value == s)?.name);
            let name = ident(&def.name);
            quote!(#root::types::#name::#variant)
        }
        _ => return None,
    })
}
