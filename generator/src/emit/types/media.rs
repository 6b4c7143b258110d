//! Bodies in several media types.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::emit::docs::doc_attrs;
use crate::emit::rust_types::{ident, type_tokens};
use crate::ir::{Encoding, Ir, MediaVariant, TypeId};

/// A body in one of several media types. Not serde: the router reads and writes each
/// variant by its own media type.
// Long because most of it is the quoted type with its reader and writer.
pub(super) fn media_type(
    ir: &Ir,
    id: TypeId,
    variants: &[MediaVariant],
    root: &TokenStream,
) -> TokenStream {
    let def = ir.type_def(id);
    let error = &ir.error;
    let name = ident(&def.name);
    let docs = doc_attrs(def.description.as_deref().or(Some(
        "A body, in one of the media types the operation documents.",
    )));
    let variant_idents: Vec<Ident> = variants.iter().map(|v| ident(&v.name)).collect();
    let variant_types = variants.iter().map(|v| type_tokens(ir, &v.ty, root));
    let variant_docs = variants.iter().map(|v| {
        let how = match v.encoding {
            Encoding::Json => "as JSON",
            Encoding::Form => "as a form (`application/x-www-form-urlencoded`)",
            Encoding::Text => "as text",
            Encoding::Binary => "as bytes",
            Encoding::Blob => "as bytes, in the media type the sender names",
        };
        doc_attrs(Some(&format!("`{}`, {how}.", v.content_type)))
    });
    let content_types: Vec<&String> = variants.iter().map(|v| &v.content_type).collect();
    let error_name = ident(&error.type_name);
    let error = quote!(#root::types::#error_name);
    let parse = |encoding: Encoding| match encoding {
        Encoding::Json => quote!(#root::runtime::parse_json(bytes)?),
        Encoding::Form => quote!(#root::runtime::parse_form(bytes)?),
        Encoding::Text => quote!(#root::runtime::parse_text(bytes)?),
        Encoding::Binary => quote!(bytes.to_vec()),
        Encoding::Blob => quote!(#root::media::Blob::new(content_type.clone(), bytes.to_vec())),
    };
    // A media type the sender names goes to the first variant that documents it, or else to
    // a variant that takes any bytes (`application/octet-stream`), so those are tried last.
    let read_arms = in_matching_order(variants, &variant_idents).map(|(v, variant)| {
        let content_type = &v.content_type;
        let parse = parse(v.encoding);
        let matches = if v.takes_any_type() {
            quote!(true)
        } else {
            quote!(#root::runtime::media_matches(#content_type, &content_type))
        };
        quote! {
            if #matches {
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
                Self::#variant(value) => match #root::form::to_string(value) {
                    ::std::result::Result::Ok(text) => #root::runtime::media_response(status, #content_type, text.into_bytes()),
                    ::std::result::Result::Err(error) => #root::runtime::Response::from(
                        #root::runtime::internal(format!("could not serialize the response: {error}")),
                    ),
                },
            },
            Encoding::Text => quote!(Self::#variant(text) => #root::runtime::media_response(status, #content_type, text.clone().into_bytes()),),
            Encoding::Binary => quote!(Self::#variant(bytes) => #root::runtime::media_response(status, #content_type, bytes.clone()),),
            Encoding::Blob => quote!(Self::#variant(blob) => #root::runtime::media_response(status, blob.content_type_or(#content_type), blob.bytes.clone()),),
        }
    });
    // Only what the routers use: a body type read from requests, one written in responses.
    let read = ir.media_uses.read.contains(&id).then(|| {
        quote! {
                /// Reads a request body (as the router read it, bounded) by its
                /// `Content-Type` (the first media type when it declares none); `None` for an
                /// empty body.
                #[cfg(feature = "server")]
                pub(crate) fn read(
                    parts: &::http::request::Parts,
                    bytes: &[u8],
                ) -> ::std::result::Result<::std::option::Option<Self>, #error> {
                    if bytes.is_empty() {
                        return ::std::result::Result::Ok(::std::option::Option::None);
                    }
                    let content_type = #root::runtime::content_type(parts);
                    if content_type.is_empty() {
                        return ::std::result::Result::Ok(::std::option::Option::Some(Self::#first(#first_parse)));
                    }
                    #(#read_arms)*
                    ::std::result::Result::Err(#root::runtime::unsupported_media_type(&[#(#content_types),*]))
                }
        }
    });
    let response = ir.media_uses.written.contains(&id).then(|| {
        quote! {
                /// The response carrying this body with `status`.
                #[cfg(feature = "server")]
                pub(crate) fn response(&self, status: ::http::StatusCode) -> #root::runtime::Response {
                    match self { #(#write_arms)* }
                }
        }
    });
    let (put, decode) = client_half(ir, id, variants, &variant_idents, root);
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name {
            #(#variant_docs #variant_idents(#variant_types),)*
        }

        impl #name {
            /// The media type this body goes out with, as the spec writes it.
            pub fn content_type(&self) -> &'static str {
                match self { #(Self::#variant_idents(_) => #content_types,)* }
            }

            #read
            #response
            #put
            #decode
        }
    }
}

/// The client's side of what the router does: a client puts in a request the bodies the
/// router reads, and decodes from a response the bodies the router writes.
fn client_half(
    ir: &Ir,
    id: TypeId,
    variants: &[MediaVariant],
    variant_idents: &[Ident],
    root: &TokenStream,
) -> (Option<TokenStream>, Option<TokenStream>) {
    let put = ir.media_uses.read.contains(&id).then(|| {
        let arms = variants.iter().zip(variant_idents).map(|(v, variant)| {
            let content_type = &v.content_type;
            match v.encoding {
                Encoding::Json => quote!(Self::#variant(value) => request.json(value),),
                Encoding::Form => quote!(Self::#variant(value) => request.form(value),),
                Encoding::Text => quote!(Self::#variant(text) => request.body(#content_type, text.clone().into_bytes()),),
                Encoding::Binary => quote!(Self::#variant(bytes) => request.body(#content_type, bytes.clone()),),
                // A range names no type a request can carry.
                Encoding::Blob if content_type.contains('*') => quote!(Self::#variant(blob) => request.body(blob.content_type_or("application/octet-stream"), blob.bytes.clone()),),
                Encoding::Blob => quote!(Self::#variant(blob) => request.body(blob.content_type_or(#content_type), blob.bytes.clone()),),
            }
        });
        quote! {
            /// Puts this body in `request`, with its media type.
            pub fn put(&self, request: &mut #root::outgoing::Outgoing) -> ::std::result::Result<(), #root::outgoing::RequestError> {
                match self { #(#arms)* }
            }
        }
    });
    let decode = ir.media_uses.written.contains(&id).then(|| {
        let read = |encoding: Encoding| match encoding {
            Encoding::Json => quote!(incoming.json()?),
            Encoding::Form => quote!(incoming.form()?),
            Encoding::Text => quote!(incoming.text()?),
            Encoding::Binary => quote!(incoming.bytes().to_vec()),
            Encoding::Blob => quote! {
                #root::media::Blob::new(incoming.content_type(), incoming.bytes())
            },
        };
        let first = &variant_idents[0];
        let first_read = read(variants[0].encoding);
        // The router sends a range (`image/*`) whose media type it was not told as
        // `application/octet-stream`: a range's variant reads that too.
        let arms = in_matching_order(variants, variant_idents).map(|(v, variant)| {
            let content_type = &v.content_type;
            let read = read(v.encoding);
            let matches = if v.takes_any_type() {
                quote!(true)
            } else if v.encoding == Encoding::Blob {
                quote!(incoming.is(#content_type) || incoming.is("application/octet-stream"))
            } else {
                quote!(incoming.is(#content_type))
            };
            quote! {
                if #matches {
                    return ::std::result::Result::Ok(Self::#variant(#read));
                }
            }
        });
        quote! {
            /// Reads a response body by its `Content-Type` (as the first media type when it
            /// declares none).
            pub fn decode(incoming: &#root::outgoing::Incoming) -> ::std::result::Result<Self, #root::outgoing::ResponseError> {
                if incoming.content_type().is_empty() {
                    return ::std::result::Result::Ok(Self::#first(#first_read));
                }
                #(#arms)*
                ::std::result::Result::Err(incoming.unexpected_media_type())
            }
        }
    });
    (put, decode)
}

/// The variants in the order a media type is matched against them: those that take any
/// type last, so a documented type goes to its own variant.
fn in_matching_order<'a>(
    variants: &'a [MediaVariant],
    idents: &'a [Ident],
) -> impl Iterator<Item = (&'a MediaVariant, &'a Ident)> {
    let pairs = || variants.iter().zip(idents);
    pairs()
        .filter(|(v, _)| !v.takes_any_type())
        .chain(pairs().filter(|(v, _)| v.takes_any_type()))
}
