//! The serde impls of a struct that is a JSON object, written out rather than derived: the
//! object is a map of its properties, read by one loop into a slot per field (with the
//! crate's `serde_impls` helpers), then checked for the required ones; written property by
//! property, the optional ones only when set. What serde's derive would make of the same
//! attributes, minus the positional (array) form and the buffering `flatten` needs, and
//! without `syn` and `serde_derive` in the generated crate's build.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

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
/// takes more properties than its fields, the map field `extra` that keeps them.
pub(super) fn object_impls(
    name: &Ident,
    fields: &[ObjectField],
    extra: Option<&Ident>,
) -> TokenStream {
    let serialize = serialize(name, fields, extra);
    let deserialize = deserialize(name, fields, extra);
    quote!(#serialize #deserialize)
}

fn serialize(name: &Ident, fields: &[ObjectField], extra: Option<&Ident>) -> TokenStream {
    let entries = fields.iter().map(|field| {
        let (ident, wire) = (&field.ident, &field.wire);
        let entry = quote!(map.serialize_entry(#wire, &self.#ident)?;);
        match field.written_if {
            None => entry,
            Some(WrittenIf::Some) => quote!(if self.#ident.is_some() { #entry }),
            Some(WrittenIf::NotEmpty) => quote!(if !self.#ident.is_empty() { #entry }),
        }
    });
    let extra = extra.map(|extra| {
        quote! {
            for (key, value) in &self.#extra {
                map.serialize_entry(key, value)?;
            }
        }
    });
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::std::option::Option::None)?;
                #(#entries)*
                #extra
                map.end()
            }
        }
    }
}

fn deserialize(name: &Ident, fields: &[ObjectField], extra: Option<&Ident>) -> TokenStream {
    // Numbered in field order, so that no two slots, and no slot and the loop's own locals
    // (`map`, `key`, `value`), share a name.
    let slot = |index: usize| format_ident!("slot_{index}");
    let slots = (0..fields.len()).map(|index| {
        let slot = slot(index);
        quote!(let mut #slot = ::std::option::Option::None;)
    });
    let arms = fields.iter().enumerate().map(|(index, field)| {
        let (slot, wire) = (slot(index), &field.wire);
        quote!(#wire => crate::serde_impls::fill(&mut map, &mut #slot, #wire)?,)
    });
    let values = fields.iter().enumerate().map(|(index, field)| {
        let (ident, slot, wire) = (&field.ident, slot(index), &field.wire);
        let value = match &field.absent {
            Absent::Missing => quote!(crate::serde_impls::required(#slot, #wire)?),
            Absent::DefaultFn(path) => quote!(#slot.unwrap_or_else(#path)),
            Absent::Default => quote!(#slot.unwrap_or_default()),
            Absent::NoneBesideNull => quote!(#slot),
        };
        quote!(#ident: #value,)
    });
    // A property no field takes: kept in `extra` where the object has one, else skipped.
    let (extra_slot, other, extra_value) = match extra {
        Some(extra) => {
            let slot = slot(fields.len());
            (
                quote!(let mut #slot = ::std::collections::BTreeMap::new();),
                quote! {
                    let value = map.next_value()?;
                    #slot.insert(key, value);
                },
                quote!(#extra: #slot,),
            )
        }
        None => (
            quote!(),
            quote!(crate::serde_impls::skip(&mut map)?;),
            quote!(),
        ),
    };
    let body = if fields.is_empty() {
        other
    } else {
        quote! {
            match key.as_str() {
                #(#arms)*
                _ => { #other }
            }
        }
    };
    let key = if fields.is_empty() && extra.is_none() {
        quote!(_)
    } else {
        quote!(key)
    };
    let expecting = format!("struct {name}");
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                // Named so that no generated type can be shadowed by it.
                struct __Visitor;
                impl<'de> ::serde::de::Visitor<'de> for __Visitor {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(self, mut map: A) -> ::std::result::Result<#name, A::Error> {
                        #(#slots)*
                        #extra_slot
                        while let ::std::option::Option::Some(#key) = map.next_key::<::std::string::String>()? {
                            #body
                        }
                        ::std::result::Result::Ok(#name { #(#values)* #extra_value })
                    }
                }
                deserializer.deserialize_map(__Visitor)
            }
        }
    }
}
