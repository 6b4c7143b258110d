//! The shared error type, with a constructor per failure the router answers by itself
//! ([`RouterFailure`](crate::failure::RouterFailure)).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::objects::{Absent, ObjectField, WrittenIf, object_impls};
use super::structs::{field_type, optional_field};
use crate::emit::docs::{doc_attrs, field_doc, type_doc};
use crate::emit::rust_types::{ident, status_code};
use crate::error::EmitError;
use crate::ir::{Field, Ir, TypeDef, TypeRef};

/// The shared error: the configured schema's fields, its code as the code enum, the HTTP
/// status it goes out with (not part of the body), and any further properties.
// Long because most of it is the quoted error type and its constructors.
pub(super) fn error_type(
    ir: &Ir,
    def: &TypeDef,
    fields: &[Field],
    root: &TokenStream,
) -> Result<TokenStream, EmitError> {
    let error = &ir.error;
    let name = ident(&def.name);
    let code_type = ident(&error.code_type_name);
    let code_field = fields
        .iter()
        .find(|f| f.name == error.code_property && f.required)
        .ok_or_else(|| {
            EmitError::Internal(format!(
                "the IR's error type has no required `{}` property",
                error.code_property
            ))
        })?;
    let message_field = fields
        .iter()
        .find(|f| f.name == error.message_property && matches!(f.ty, TypeRef::String { .. }))
        .ok_or_else(|| {
            EmitError::Internal(format!(
                "the IR's error type has no string `{}` property",
                error.message_property
            ))
        })?;
    let code_ident = ident(&code_field.ident);
    let message_ident = ident(&message_field.ident);
    let docs = doc_attrs(Some(&type_doc(def)));
    let mut field_tokens = Vec::new();
    let mut object_fields = Vec::new();
    let mut others = Vec::new();
    for field in fields {
        let field_ident = ident(&field.ident);
        let wire = &field.name;
        let field_docs = doc_attrs(Some(&field_doc(field)));
        if field.name == error.code_property {
            field_tokens.push(quote!(#field_docs pub #field_ident: #root::types::#code_type,));
            object_fields.push(ObjectField {
                ident: field_ident,
                wire: wire.clone(),
                absent: Absent::Missing,
                written_if: None,
            });
        } else if field.name == error.message_property {
            field_tokens.push(quote! {
                #field_docs
                pub #field_ident: ::std::string::String,
            });
            // An error without a message has the empty one, and is written without.
            object_fields.push(ObjectField {
                ident: field_ident,
                wire: wire.clone(),
                absent: Absent::Default,
                written_if: Some(WrittenIf::NotEmpty),
            });
        } else {
            let ty = field_type(ir, field, root, false);
            field_tokens.push(quote!(#field_docs pub #field_ident: #ty,));
            object_fields.push(optional_field(field, field_ident.clone()));
            others.push(if field.required {
                return Err(EmitError::Internal(format!(
                    "required property `{}` besides the code: the error constructors cannot fill it",
                    field.name
                )));
            } else {
                quote!(#field_ident: ::std::option::Option::None)
            });
        }
    }
    let constructors = error.router_failures.iter().map(|(failure, answer)| {
        let fn_ident = ident(failure.name());
        let code = &answer.code;
        let doc = format!(
            " {} Status {}, code `{code}`.",
            failure.meaning(),
            answer.status
        );
        let status = status_code(answer.status);
        quote! {
            #[doc = #doc]
            pub fn #fn_ident(message: impl ::std::convert::Into<::std::string::String>) -> Self {
                Self::new(#status, #root::types::#code_type::from(#code), message)
            }
        }
    });
    let body_doc = format!(
        " The body of every error response. In a documented response variant it stands \
         alone, since the variant says the status; as an [`{}`] it goes out with that \
         error's status.",
        error.type_name
    );
    let error_name = ident(&error.type_name);
    let error_doc = format!(
        " An error answer: an HTTP status and a [`{}`] body.\n\n\
         An operation answers the statuses it documents with its response enum, whose error \
         variants carry only the body, so their status cannot disagree with the variant. \
         Every other failure (credentials, malformed input, rate limits, internal faults) \
         is an `Err` of this type, and goes out with its own status.",
        def.name
    );
    let serde_impls = object_impls(&name, &object_fields, Some(&format_ident!("extra")));
    Ok(quote! {
        #docs
        ///
        #[doc = #body_doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name {
            #(#field_tokens)*
            /// Further properties of the body, such as details particular to the code.
            pub extra: ::std::collections::BTreeMap<::std::string::String, ::serde_json::Value>,
        }

        #serde_impls

        impl #name {
            /// A body with the given code and message.
            pub fn new(
                #code_ident: #root::types::#code_type,
                #message_ident: impl ::std::convert::Into<::std::string::String>,
            ) -> Self {
                Self {
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
        }

        #[doc = #error_doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #error_name {
            /// The HTTP status the error goes out with.
            pub status: ::http::StatusCode,
            /// What the response says.
            pub body: #root::types::#name,
        }

        impl #error_name {
            /// An error with the given HTTP status, code and message.
            pub fn new(
                status: ::http::StatusCode,
                #code_ident: #root::types::#code_type,
                #message_ident: impl ::std::convert::Into<::std::string::String>,
            ) -> Self {
                Self { status, body: #root::types::#name::new(#code_ident, #message_ident) }
            }

            /// Adds a property to the body.
            pub fn with_field(
                mut self,
                key: impl ::std::convert::Into<::std::string::String>,
                value: impl ::std::convert::Into<::serde_json::Value>,
            ) -> Self {
                self.body = self.body.with_field(key, value);
                self
            }

            /// The error a server answered instead of a documented response, when the body is
            /// this error's: the router's own answers (a missing or refused credential,
            /// malformed input, a rate limit) come at statuses an operation may not document,
            /// or documents with another body (a `401` documented for a challenge). A
            /// client's view of the server's `Err(error)`.
            pub fn from_response_error(error: &#root::outgoing::ResponseError) -> ::std::option::Option<Self> {
                let body = ::serde_json::from_slice(error.body()).ok()?;
                ::std::option::Option::Some(Self { status: error.status(), body })
            }

            #(#constructors)*
        }

        impl ::std::fmt::Display for #error_name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{} {}: {}", self.status.as_u16(), self.body.#code_ident, self.body.#message_ident)
            }
        }

        impl ::std::error::Error for #error_name {}
    })
}
