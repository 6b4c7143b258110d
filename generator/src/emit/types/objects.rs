//! The serde impls of a struct that is a JSON object, declared rather than derived: a line
//! per field for the crate's own `serde_impls::object!` macro, which reads the object by
//! one loop into a slot per field, checks the required ones, and writes it property by
//! property, the optional ones only when set. What serde's derive would make of the same
//! attributes, minus the positional (array) form and the buffering `flatten` needs, and
//! without `syn` and `serde_derive` in the generated crate's build.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// One field of an object as serde sees it.
pub(super) struct ObjectField {
    pub(super) ident: Ident,
    /// The property's name on the wire.
    pub(super) wire: String,
    /// What an absent property makes of the field.
    pub(super) absent: Absent,
    /// When the field is written: always, or only while this condition on `&self.field`'s
    /// value holds.
    pub(super) written_if: Option<WrittenIf>,
}

/// What an absent property makes of its field.
pub(super) enum Absent {
    /// An error: serde's "missing field".
    Missing,
    /// The value of this function (a path).
    DefaultFn(TokenStream),
    /// The type's `Default` (`None` for an `Option`, whatever a present `null` also gives).
    Default,
    /// `None`, where a present `null` is `Some(None)`: the field is an `Option<Option<_>>`.
    NoneBesideNull,
}

/// When an optional field is written.
pub(super) enum WrittenIf {
    /// While it is `Some`.
    Some,
    /// While it is not empty (a string).
    NotEmpty,
}

/// `Serialize` and `Deserialize` for the struct `name` with `fields`, and where the object
/// takes more properties than its fields, the map field `extra` that keeps them: one
/// invocation of the crate's `serde_impls::object!`, a line per field.
pub(super) fn object_impls(
    name: &Ident,
    fields: &[ObjectField],
    extra: Option<&Ident>,
) -> TokenStream {
    let fields = fields.iter().map(|field| {
        let (ident, wire) = (&field.ident, &field.wire);
        let absent = match &field.absent {
            Absent::Missing => quote!(required),
            Absent::DefaultFn(path) => quote!(default_with(#path)),
            Absent::Default => quote!(default),
            Absent::NoneBesideNull => quote!(absent_apart_from_null),
        };
        let written = field
            .written_if
            .as_ref()
            .map(|written_if| match written_if {
                WrittenIf::Some => quote!(skip_none),
                WrittenIf::NotEmpty => quote!(skip_empty),
            });
        quote!(#ident: #wire #absent #written,)
    });
    quote! {
        crate::serde_impls::object! {
            #name {
                #(#fields)*
            }
            #extra
        }
    }
}
