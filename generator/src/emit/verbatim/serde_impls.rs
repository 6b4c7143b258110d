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
