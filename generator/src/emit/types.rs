//! The `types` module: every named type of the IR, plus the shared error type and its code
//! enum when the config declares one.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::emit::EmitError;
use crate::emit::docs::doc_attrs;
use crate::ir::{
    Encoding, EnumVariant, ErrorModel, Field, Ir, MediaVariant, TypeDef, TypeKind, TypeRef,
    UnionVariant,
};

pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The Rust type of a type use; `root` is the path of the generated crate (`crate` inside
/// it, `::matrix_api` outside).
pub fn type_tokens(ty: &TypeRef, root: &TokenStream) -> TokenStream {
    match ty {
        TypeRef::String { .. } => quote!(::std::string::String),
        TypeRef::Integer { format } if format.as_deref() == Some("int32") => quote!(i32),
        TypeRef::Integer { .. } => quote!(i64),
        TypeRef::Number { format } if format.as_deref() == Some("float") => quote!(f32),
        TypeRef::Number { .. } => quote!(f64),
        TypeRef::Boolean => quote!(bool),
        TypeRef::Bytes => quote!(::std::vec::Vec<u8>),
        TypeRef::Array(item) => {
            let item = type_tokens(item, root);
            quote!(::std::vec::Vec<#item>)
        }
        TypeRef::Tuple(items) => {
            let items = items.iter().map(|item| type_tokens(item, root));
            quote!((#(#items,)*))
        }
        TypeRef::Map(value) => {
            let value = type_tokens(value, root);
            quote!(::std::collections::BTreeMap<::std::string::String, #value>)
        }
        TypeRef::Object => quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>),
        TypeRef::Any => quote!(::serde_json::Value),
        TypeRef::Named(name) => {
            let name = ident(name);
            quote!(#root::types::#name)
        }
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
        (TypeRef::String { .. }, Value::String(s)) => quote!(::std::string::String::from(#s)),
        (TypeRef::Boolean, Value::Bool(b)) => quote!(#b),
        (TypeRef::Integer { .. }, Value::Number(n)) => {
            let n = n.as_i64()?;
            let literal = proc_macro2::Literal::i64_unsuffixed(n);
            quote!(#literal)
        }
        (TypeRef::Number { .. }, Value::Number(n)) => {
            let literal = proc_macro2::Literal::f64_unsuffixed(n.as_f64()?);
            quote!(#literal)
        }
        (TypeRef::Named(name), Value::String(s)) => {
            let def = ir.type_def(name)?;
            let TypeKind::Enum {
                variants,
                integer: false,
                ..
            } = &def.kind
            else {
                return None;
            };
            let variant = ident(&variants.iter().find(|v| &v.value == s)?.name);
            let name = ident(name);
            quote!(#root::types::#name::#variant)
        }
        _ => return None,
    })
}

pub fn emit_types(ir: &Ir) -> Result<TokenStream, EmitError> {
    let root = quote!(crate);
    let recursive = recursive_types(ir);
    let mut items = Vec::new();
    for def in &ir.types {
        let item = match (&ir.error, &def.kind) {
            (error, TypeKind::Struct { fields, .. }) if error.type_name == def.name => {
                error_type(def, fields, error, &root)?
            }
            (_, TypeKind::Struct { fields, additional }) => {
                struct_type(ir, def, fields, additional.as_ref(), &recursive, &root)
            }
            (_, TypeKind::Union { variants, tag }) => {
                union_type(def, variants, tag.as_deref(), &recursive, &root)
            }
            (error, TypeKind::Media { variants }) => media_type(def, variants, error, &root),
            (
                _,
                TypeKind::Enum {
                    variants,
                    open,
                    integer: true,
                },
            ) => integer_enum_type(&def.name, def.description.as_deref(), variants, *open),
            (_, TypeKind::Enum { variants, open, .. }) => {
                enum_type(&def.name, def.description.as_deref(), variants, *open, None)
            }
            (_, TypeKind::Alias { target }) => {
                let docs = doc_attrs(def.description.as_deref());
                let name = ident(&def.name);
                let target = type_tokens(target, &root);
                quote! {
                    #docs
                    pub type #name = #target;
                }
            }
        };
        items.push(item);
    }
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
            &code_type_name(error),
            Some(&description),
            &variants,
            true,
            Some(&docs),
        ));
    }
    Ok(quote!(#(#items)*))
}

pub fn code_type_name(error: &ErrorModel) -> String {
    format!("{}Code", error.type_name)
}

/// Which named types contain which directly (not behind a `Vec` or a map, which are
/// indirections already): a type that can reach itself this way has infinite size unless
/// the edges inside its cycle are boxed. The result maps each type to the types it must
/// box: those in its own strongly connected component.
fn recursive_types(ir: &Ir) -> Recursion {
    fn direct(ty: &TypeRef, out: &mut Vec<String>) {
        match ty {
            TypeRef::Named(name) => out.push(name.clone()),
            TypeRef::Tuple(items) => items.iter().for_each(|item| direct(item, out)),
            _ => {}
        }
    }
    let edges: BTreeMap<&str, Vec<String>> = ir
        .types
        .iter()
        .map(|def| {
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
            (def.name.as_str(), out)
        })
        .collect();
    // Tarjan's algorithm, iteration order fixed by the BTreeMap, so output is stable.
    struct Tarjan<'a> {
        edges: &'a BTreeMap<&'a str, Vec<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        component: BTreeMap<String, usize>,
        components: usize,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, node: &'a str) {
            let i = self.index.len();
            self.index.insert(node, i);
            self.low.insert(node, i);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                let Some((next, _)) = self.edges.get_key_value(next.as_str()) else {
                    continue;
                };
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    self.component.insert(member.to_owned(), self.components);
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
    for node in edges.keys() {
        if !tarjan.index.contains_key(node) {
            tarjan.visit(node);
        }
    }
    let mut boxed = BTreeSet::new();
    for (from, targets) in &edges {
        for to in targets {
            if tarjan.component.get(*from) == tarjan.component.get(to) {
                boxed.insert((from.to_string(), to.clone()));
            }
        }
    }
    Recursion { boxed }
}

/// The edges (`owner`, `target`) that must be boxed.
#[derive(Default)]
struct Recursion {
    boxed: BTreeSet<(String, String)>,
}

impl Recursion {
    /// `ty` as `owner` holds it: boxed where `owner` and `ty` are in one cycle.
    fn held(&self, owner: &str, ty: &TypeRef, root: &TokenStream) -> TokenStream {
        let tokens = type_tokens(ty, root);
        match ty {
            TypeRef::Named(name) if self.boxed.contains(&(owner.to_owned(), name.clone())) => {
                quote!(::std::boxed::Box<#tokens>)
            }
            _ => tokens,
        }
    }
}

/// The field's Rust type, as stored in the struct (optionality applied).
fn field_type(
    field: &Field,
    owner: &str,
    recursion: &Recursion,
    root: &TokenStream,
    has_default: bool,
) -> TokenStream {
    let inner = recursion.held(owner, &field.ty, root);
    if (field.required && !field.nullable) || has_default {
        inner
    } else {
        quote!(::std::option::Option<#inner>)
    }
}

fn struct_type(
    ir: &Ir,
    def: &TypeDef,
    fields: &[Field],
    additional: Option<&TypeRef>,
    recursion: &Recursion,
    root: &TokenStream,
) -> TokenStream {
    let name = ident(&def.name);
    let docs = doc_attrs(def.description.as_deref());
    let mut field_tokens = Vec::new();
    let mut default_fns = Vec::new();
    let mut constructor_params = Vec::new();
    let mut constructor_values = Vec::new();
    for field in fields {
        let field_ident = ident(&field.ident);
        let wire = &field.name;
        let field_docs = doc_attrs(field.description.as_deref());
        let default = field
            .default
            .as_ref()
            .filter(|_| !field.required)
            .and_then(|value| default_expr(ir, &field.ty, value, root));
        let ty = field_type(field, &def.name, recursion, root, default.is_some());
        let rename = (field.ident != field.name).then(|| quote!(#[serde(rename = #wire)]));
        let serde_attr = match &default {
            Some(expr) => {
                let default_fn = format_ident!("default_{}", field.ident.trim_end_matches('_'));
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
                quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")])
            }
        };
        field_tokens.push(quote! {
            #field_docs
            #rename
            #serde_attr
            pub #field_ident: #ty,
        });
    }
    if let Some(additional) = additional {
        let value = type_tokens(additional, root);
        let mut extra = "additional_properties".to_owned();
        while fields.iter().any(|f| f.ident == extra) {
            extra.push('_');
        }
        let extra = ident(&extra);
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

/// A string enum. Open enums keep unknown values in a fallback variant, so they need
/// hand-written serde impls; closed ones derive them.
fn enum_type(
    name: &str,
    description: Option<&str>,
    variants: &[EnumVariant],
    open: bool,
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
    if !open {
        return quote! {
            #docs
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
            pub enum #name_ident {
                #(
                    #variant_doc_attrs
                    #[serde(rename = #values)]
                    #variant_idents,
                )*
            }

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
    }
    let fallback = ident(&fallback_name(variants.iter().map(|v| v.name.as_str())));
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
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

        impl ::serde::Serialize for #name_ident {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name_ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = #name_ident;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name_ident, E> {
                        ::std::result::Result::Ok(#name_ident::from(value))
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    }
}

/// The shared error: the configured schema's fields, its code as the code enum, the HTTP
/// status it goes out with (not part of the body), and any further properties.
fn error_type(
    def: &TypeDef,
    fields: &[Field],
    error: &ErrorModel,
    root: &TokenStream,
) -> Result<TokenStream, EmitError> {
    let name = ident(&def.name);
    let code_type = ident(&code_type_name(error));
    let code_field = fields
        .iter()
        .find(|f| f.name == error.code_property && f.required)
        .ok_or_else(|| {
            EmitError::ErrorSchema(format!("no required `{}` property", error.code_property))
        })?;
    let message_field = fields
        .iter()
        .find(|f| f.name == error.message_property && matches!(f.ty, TypeRef::String { .. }))
        .ok_or_else(|| {
            EmitError::ErrorSchema(format!("no string `{}` property", error.message_property))
        })?;
    let code_ident = ident(&code_field.ident);
    let message_ident = ident(&message_field.ident);
    let docs = doc_attrs(def.description.as_deref());
    let mut field_tokens = Vec::new();
    let mut others = Vec::new();
    for field in fields {
        let field_ident = ident(&field.ident);
        let wire = &field.name;
        let field_docs = doc_attrs(field.description.as_deref());
        let rename = (field.ident != field.name).then(|| quote!(#[serde(rename = #wire)]));
        if field.name == error.code_property {
            field_tokens
                .push(quote!(#field_docs #rename pub #field_ident: #root::types::#code_type,));
        } else if field.name == error.message_property {
            field_tokens.push(quote! {
                #field_docs
                #rename
                #[serde(default, skip_serializing_if = "::std::string::String::is_empty")]
                pub #field_ident: ::std::string::String,
            });
        } else {
            let ty = field_type(field, &def.name, &Recursion::default(), root, false);
            let skip = (!field.required).then(|| {
                quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")])
            });
            field_tokens.push(quote!(#field_docs #rename #skip pub #field_ident: #ty,));
            others.push(if field.required {
                return Err(EmitError::ErrorSchema(format!(
                    "required property `{}` besides the code: the error constructors cannot fill it",
                    field.name
                )));
            } else {
                quote!(#field_ident: ::std::option::Option::None)
            });
        }
    }
    let transport = &error.transport;
    let constructors = [
        (
            "missing_token",
            &transport.missing_token,
            "No credential was given, or it was given ambiguously.",
        ),
        (
            "unknown_token",
            &transport.unknown_token,
            "The credential is not (or no longer) valid.",
        ),
        (
            "not_json",
            &transport.not_json,
            "The body is not valid JSON.",
        ),
        (
            "bad_json",
            &transport.bad_json,
            "The body is JSON but not of the expected shape.",
        ),
        (
            "missing_param",
            &transport.missing_param,
            "A required parameter is missing.",
        ),
        (
            "invalid_param",
            &transport.invalid_param,
            "A parameter has a value that is not allowed.",
        ),
        (
            "too_large",
            &transport.too_large,
            "The request body is too large.",
        ),
        (
            "unsupported_media_type",
            &transport.unsupported_media_type,
            "The body is in a media type the operation does not take.",
        ),
        (
            "not_found",
            &transport.not_found,
            "No endpoint is at this path.",
        ),
        (
            "method_not_allowed",
            &transport.method_not_allowed,
            "The endpoint does not support this method.",
        ),
        (
            "rate_limited",
            &transport.rate_limited,
            "Too many requests: try again later.",
        ),
        (
            "internal",
            &transport.internal,
            "The server failed; not the client's fault.",
        ),
    ]
    .into_iter()
    .map(|(fn_name, transport, doc)| {
        let fn_ident = ident(fn_name);
        let status = transport.status;
        let code = &transport.code;
        let doc = format!(" {doc} Status {status}, code `{code}`.");
        quote! {
            #[doc = #doc]
            pub fn #fn_ident(message: impl ::std::convert::Into<::std::string::String>) -> Self {
                Self::new(#status, #root::types::#code_type::from(#code), message)
            }
        }
    });
    Ok(quote! {
        #docs
        ///
        /// Any operation may answer with this error, besides the responses it documents:
        /// [`status`](Self::status) is the HTTP status it goes out with.
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            /// The HTTP status of the response: not part of the body.
            #[serde(skip, default = "default_error_status")]
            pub status: u16,
            #(#field_tokens)*
            /// Further properties of the body, such as details particular to the code.
            #[serde(flatten)]
            pub extra: ::std::collections::BTreeMap<::std::string::String, ::serde_json::Value>,
        }

        /// A deserialized error's status is not in its body: until the caller sets it from
        /// the HTTP response, it reads as a server error.
        fn default_error_status() -> u16 {
            500
        }

        impl #name {
            /// An error with the given HTTP status, code and message.
            pub fn new(
                status: u16,
                #code_ident: #root::types::#code_type,
                #message_ident: impl ::std::convert::Into<::std::string::String>,
            ) -> Self {
                Self {
                    status,
                    #code_ident,
                    #message_ident: #message_ident.into(),
                    #(#others,)*
                    extra: ::std::collections::BTreeMap::new(),
                }
            }

            /// Adds a property to the body.
            pub fn with_field(
                mut self,
                key: impl ::std::convert::Into<::std::string::String>,
                value: impl ::std::convert::Into<::serde_json::Value>,
            ) -> Self {
                self.extra.insert(key.into(), value.into());
                self
            }

            #(#constructors)*
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{} {}: {}", self.status, self.#code_ident, self.#message_ident)
            }
        }

        impl ::std::error::Error for #name {}
    })
}

/// `oneOf` / `anyOf`. Serialized as the variant's own value. Deserialized by the tag
/// property's value when there is one, otherwise as the first variant the value fits; a
/// value that fits none is kept in the fallback rather than refused, so a newer peer's
/// variant does not make the whole message unreadable.
fn union_type(
    def: &TypeDef,
    variants: &[UnionVariant],
    tag: Option<&str>,
    recursion: &Recursion,
    root: &TokenStream,
) -> TokenStream {
    let name = ident(&def.name);
    let docs = doc_attrs(def.description.as_deref());
    let fallback = ident(&fallback_name(variants.iter().map(|v| v.name.as_str())));
    let variant_idents: Vec<Ident> = variants.iter().map(|v| ident(&v.name)).collect();
    let variant_types: Vec<TokenStream> = variants
        .iter()
        .map(|v| recursion.held(&def.name, &v.ty, root))
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
    let Some(tag) = tag else {
        return quote! {
            #docs
            #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            #[serde(untagged)]
            #[allow(clippy::large_enum_variant)]
            pub enum #name {
                #(#variant_docs #variant_idents(#variant_types),)*
                #[doc = #fallback_doc]
                #fallback(::serde_json::Value),
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
        #docs
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[serde(untagged)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variant_docs #variant_idents(#variant_types),)*
            #[doc = #fallback_doc]
            #fallback(::serde_json::Value),
        }

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

/// A body in one of several media types. Not serde: the router reads and writes each
/// variant by its own media type.
fn media_type(
    def: &TypeDef,
    variants: &[MediaVariant],
    error: &ErrorModel,
    root: &TokenStream,
) -> TokenStream {
    let name = ident(&def.name);
    let docs = doc_attrs(def.description.as_deref().or(Some(
        "A body, in one of the media types the operation documents.",
    )));
    let variant_idents: Vec<Ident> = variants.iter().map(|v| ident(&v.name)).collect();
    let variant_types = variants.iter().map(|v| type_tokens(&v.ty, root));
    let variant_docs = variants.iter().map(|v| {
        let how = match v.encoding {
            Encoding::Json => "as JSON",
            Encoding::Form => "as a form (`application/x-www-form-urlencoded`)",
            Encoding::Text => "as text",
            Encoding::Binary => "as bytes",
        };
        doc_attrs(Some(&format!("`{}`, {how}.", v.content_type)))
    });
    let content_types: Vec<&String> = variants.iter().map(|v| &v.content_type).collect();
    let error_name = ident(&error.type_name);
    let error = quote!(#root::types::#error_name);
    let parse = |encoding: Encoding| match encoding {
        Encoding::Json => quote!(#root::runtime::parse_json(&bytes)?),
        Encoding::Form => quote!(#root::runtime::parse_form(&bytes)?),
        Encoding::Text => quote!(#root::runtime::parse_text(&bytes)?),
        Encoding::Binary => quote!(bytes.to_vec()),
    };
    let read_arms = variants.iter().zip(&variant_idents).map(|(v, variant)| {
        let content_type = &v.content_type;
        let parse = parse(v.encoding);
        quote! {
            if #root::runtime::media_matches(#content_type, &content_type) {
                return ::std::result::Result::Ok(::std::option::Option::Some(Self::#variant(#parse)));
            }
        }
    });
    let first = &variant_idents[0];
    let first_parse = parse(variants[0].encoding);
    let write_arms = variants.iter().zip(&variant_idents).map(|(v, variant)| {
        let content_type = &v.content_type;
        match v.encoding {
            Encoding::Json => quote!(Self::#variant(value) => #root::runtime::json_response(status, value),),
            Encoding::Form => quote! {
                Self::#variant(value) => match ::serde_urlencoded::to_string(value) {
                    ::std::result::Result::Ok(text) => #root::runtime::media_response(status, #content_type, text.into_bytes()),
                    ::std::result::Result::Err(error) => ::axum::response::IntoResponse::into_response(
                        #error::internal(format!("Could not serialize the response: {error}")),
                    ),
                },
            },
            Encoding::Text => quote!(Self::#variant(text) => #root::runtime::media_response(status, #content_type, text.clone().into_bytes()),),
            Encoding::Binary => quote!(Self::#variant(bytes) => #root::runtime::media_response(status, #content_type, bytes.clone()),),
        }
    });
    let list = content_types
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let unsupported = format!("The body must be one of: {list}");
    // Variants hold what the spec says, as it says it: boxing the large ones would
    // make every use clumsier for a size only clippy minds.
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#variant_docs #variant_idents(#variant_types),)*
        }

        impl #name {
            /// The media type this body goes out with, as the spec writes it.
            pub fn content_type(&self) -> &'static str {
                match self { #(Self::#variant_idents(_) => #content_types,)* }
            }

            /// Reads a request body by its `Content-Type` (the first media type when it
            /// declares none); `None` for an empty body.
            #[cfg(feature = "server")]
            #[allow(dead_code)]
            pub(crate) async fn read(
                parts: &::axum::http::request::Parts,
                body: ::axum::body::Body,
            ) -> ::std::result::Result<::std::option::Option<Self>, #error> {
                let bytes = #root::runtime::read_body(parts, body).await?;
                if bytes.is_empty() {
                    return ::std::result::Result::Ok(::std::option::Option::None);
                }
                let content_type = #root::runtime::content_type(parts);
                if content_type.is_empty() {
                    return ::std::result::Result::Ok(::std::option::Option::Some(Self::#first(#first_parse)));
                }
                #(#read_arms)*
                ::std::result::Result::Err(#error::unsupported_media_type(#unsupported))
            }

            /// The response carrying this body with `status`.
            #[cfg(feature = "server")]
            #[allow(dead_code)]
            pub(crate) fn response(&self, status: u16) -> ::axum::response::Response {
                match self { #(#write_arms)* }
            }
        }
    }
}

/// The name of an enum's fallback variant: `Other`, unless the spec took it.
fn fallback_name<'a>(taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let is_free = |candidate: &str| taken.clone().all(|name| name != candidate);
    let mut name = ["Other", "Unlisted", "Custom"]
        .into_iter()
        .find(|candidate| is_free(candidate))
        .unwrap_or("UnlistedValue")
        .to_owned();
    while !is_free(&name) {
        name.push_str("Value");
    }
    name
}

/// An integer enum: the variants stand for numbers on the wire. serde derives only string
/// names for unit variants, so the impls are written out.
fn integer_enum_type(
    name: &str,
    description: Option<&str>,
    variants: &[EnumVariant],
    open: bool,
) -> TokenStream {
    let name_ident = ident(name);
    let docs = doc_attrs(description);
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
    let (fallback_variant, fallback_value, fallback_parse) = if open {
        (
            quote! {
                /// A value the spec does not list.
                Other(i64),
            },
            quote!(Self::Other(value) => *value,),
            quote!(other => ::std::result::Result::Ok(Self::Other(other)),),
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

#[cfg(test)]
mod tests {
    use super::fallback_name;

    #[test]
    fn the_fallback_variant_never_takes_a_spec_name() {
        assert_eq!(fallback_name([].into_iter()), "Other");
        assert_eq!(fallback_name(["Other"].into_iter()), "Unlisted");
        let taken = ["Other", "Unlisted", "Custom", "UnlistedValue"];
        assert_eq!(fallback_name(taken.into_iter()), "UnlistedValueValue");
    }
}
