//! What the emitters of an API module share (the module itself, its client, its router and
//! the round-trip tests): the names of an operation's items and of the crate's error, how a
//! parameter is typed, and how responses are matched by status. A leaf: it uses only the IR
//! and the Rust spellings of its types.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::emit::rust_types::{default_expr, ident, type_tokens};
use crate::ir::{Ir, Operation, Parameter, Status};

/// The operation's request struct.
pub(super) fn request_name(op: &Operation) -> Ident {
    ident(&op.names.request)
}

/// The operation's response enum.
pub(super) fn response_name(op: &Operation) -> Ident {
    ident(&op.names.response)
}

/// The crate's error type (status and body), by its path.
pub(super) fn error_type(ir: &Ir) -> TokenStream {
    let name = ident(&ir.error.type_name);
    quote!(crate::types::#name)
}

/// The mounted paths of an operation, for docs: `POST /a/r0/x`, `POST /a/v3/x`.
pub(super) fn routes_doc(op: &Operation) -> String {
    op.full_paths
        .iter()
        .map(|p| format!("`{} {p}`", op.method))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A parameter's Rust type, and its default's expression where it has one: `Option` when
/// it is neither required nor defaulted.
pub(super) fn parameter_type(
    ir: &Ir,
    parameter: &Parameter,
    root: &TokenStream,
) -> (TokenStream, Option<TokenStream>) {
    let ty = type_tokens(ir, &parameter.ty, root);
    let default = parameter
        .default
        .as_ref()
        .and_then(|value| default_expr(ir, &parameter.ty, value, root));
    if parameter.required || default.is_some() {
        (ty, default)
    } else {
        (quote!(::std::option::Option<#ty>), None)
    }
}

/// `match` arms over a status's `u16`, one per response with the value it gives, in the
/// order a `match` needs them: exact codes, then ranges (`4XX`), then the default (`_`).
pub(super) fn status_arms(
    responses: impl IntoIterator<Item = (Status, TokenStream)>,
) -> Vec<TokenStream> {
    let mut arms: Vec<(u8, TokenStream)> = responses
        .into_iter()
        .map(|(status, value)| match status {
            Status::Code(code) => (0, quote!(#code => #value,)),
            Status::Range(class) => {
                let (low, high) = (class * 100, class * 100 + 99);
                (1, quote!(#low..=#high => #value,))
            }
            Status::Default => (2, quote!(_ => #value,)),
        })
        .collect();
    arms.sort_by_key(|(order, _)| *order);
    arms.into_iter().map(|(_, arm)| arm).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_before_ranges_and_the_default_last() {
        let arms = status_arms([
            (Status::Default, quote!(d)),
            (Status::Range(4), quote!(r)),
            (Status::Code(404), quote!(c)),
        ]);
        let arms: Vec<String> = arms.iter().map(ToString::to_string).collect();
        assert_eq!(
            arms,
            ["404u16 => c ,", "400u16 ..= 499u16 => r ,", "_ => d ,"]
        );
    }
}
