//! What the generated types' serde impls share. The generator writes each type's
//! `Serialize` and `Deserialize` itself, not through serde's derive: an object is a map of
//! its properties read by one loop (no positional form, no buffering for the properties
//! beyond the named ones), and the crate builds without `syn` and `serde_derive`. Their
//! errors are serde's own ("missing field `x`", "duplicate field `x`", "unknown variant").
//!
//! This file is the same in every generated crate: the generator copies it verbatim. The
//! module is public, so that no part of it is dead code whichever parts a crate's types use,
//! and hidden, because it is not part of the crate's API: generated code calls it.

use serde::de::{Deserialize, Error, IgnoredAny, MapAccess};

/// `Serialize` and `Deserialize` for a struct that is a JSON object, from one line per
/// field: its name, its property's name, what an absent property makes of it, and when it
/// is written; then, where the object keeps the properties beyond its fields, the map field
/// that holds them. What serde's derive makes of the same attributes, minus the positional
/// (array) form and the buffering `flatten` needs. A macro, not a derive: it costs the
/// crate's build no proc-macro, and the generator no hundred lines per type.
///
/// ```text
/// object! {
///     Name {
///         field: "property" required,                    // absent: "missing field"
///         field: "property" default,                     // absent: `Default::default()`
///         field: "property" default_with(path),          // absent: `path()`
///         field: "property" absent_apart_from_null,      // absent: `None`, `null`: `Some(None)`
///         field: "property" default skip_none,           // written only while `Some`
///         field: "property" default skip_empty,          // written only while not empty
///     }
///     extra_field
/// }
/// ```
macro_rules! object {
    (
        $name:ident {
            $($field:ident: $wire:literal $absent:ident $(($default:expr))? $($written:ident)?,)*
        }
        $($extra:ident)?
    ) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::std::option::Option::None)?;
                $($crate::serde_impls::object!(@write map $wire self.$field $($written)?);)*
                $(
                    for (key, value) in &self.$extra {
                        map.serialize_entry(key, value)?;
                    }
                )?
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                // Named so that no generated type can be shadowed by it: item names are
                // not hygienic.
                struct __Visitor;
                impl<'de> ::serde::de::Visitor<'de> for __Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }
                    // Each field's slot is a local named as the field: the macro's own
                    // locals (`map`, `key`) are out of the fields' hygienic reach.
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> ::std::result::Result<$name, A::Error> {
                        $(let mut $field = ::std::option::Option::None;)*
                        $(let mut $extra = ::std::collections::BTreeMap::new();)?
                        while let ::std::option::Option::Some(key) =
                            map.next_key::<::std::string::String>()?
                        {
                            match key.as_str() {
                                $($wire => $crate::serde_impls::fill(&mut map, &mut $field, $wire)?,)*
                                _ => $crate::serde_impls::object!(@other map key $($extra)?),
                            }
                        }
                        ::std::result::Result::Ok($name {
                            $($field: $crate::serde_impls::object!(
                                @absent $field $wire $absent $(($default))?
                            ),)*
                            $($extra,)?
                        })
                    }
                }
                deserializer.deserialize_map(__Visitor)
            }
        }
    };
    (@write $map:ident $wire:literal $self:ident.$field:ident) => {
        $map.serialize_entry($wire, &$self.$field)?
    };
    (@write $map:ident $wire:literal $self:ident.$field:ident skip_none) => {
        if $self.$field.is_some() {
            $map.serialize_entry($wire, &$self.$field)?;
        }
    };
    (@write $map:ident $wire:literal $self:ident.$field:ident skip_empty) => {
        if !$self.$field.is_empty() {
            $map.serialize_entry($wire, &$self.$field)?;
        }
    };
    (@other $map:ident $key:ident) => {
        $crate::serde_impls::skip(&mut $map)?
    };
    (@other $map:ident $key:ident $extra:ident) => {{
        let value = $map.next_value()?;
        $extra.insert($key, value);
    }};
    (@absent $slot:ident $wire:literal required) => {
        $crate::serde_impls::required($slot, $wire)?
    };
    (@absent $slot:ident $wire:literal default) => {
        $slot.unwrap_or_default()
    };
    (@absent $slot:ident $wire:literal default_with($default:expr)) => {
        $slot.unwrap_or_else($default)
    };
    (@absent $slot:ident $wire:literal absent_apart_from_null) => {
        $slot
    };
}
pub(crate) use object;

/// Reads the value of the property `name` into its slot. A property given twice is an
/// error, as it is to serde's derive.
pub fn fill<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(A::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Reads past the value of a property no field takes.
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// A required property's value, or serde's "missing field" error.
pub fn required<T, E: Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}
