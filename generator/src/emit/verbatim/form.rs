//! Forms (`application/x-www-form-urlencoded`), and parameters read as a form's fields: a
//! name given several times is a list, a value is text parsed as the type asks for it, and
//! an empty value is `None` where the type is an `Option`. Read by serde's own deserializer
//! traits (its `value::Error` and its texts, "invalid digit found in string"); written
//! through `serde_json`'s value, a pair per property and per list item.
//!
//! This file is the same in every generated crate: the generator copies it verbatim. The
//! module is public, so that no part of it is dead code whichever half a crate builds, and
//! hidden, because it is not part of the crate's API: generated code calls it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, Error as _, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// Reads `T` from a form: its pairs, each name once with every value given for it, in the
/// order the names first come.
pub fn from_bytes<'de, T: de::Deserialize<'de>>(form: &'de [u8]) -> Result<T, Error> {
    T::deserialize(Form::new(form))
}

/// The pairs of a form, percent-decoded, in order.
pub fn pairs(form: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(form).into_owned().collect()
}

/// Writes `value` (an object) as a form: a pair per property, one per item of a list, none
/// for `null`; an object within it cannot be written. The pairs come in `serde_json`'s map
/// order (by name, or as declared where its `preserve_order` is on): a form's order carries
/// no meaning.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    use serde_json::Value;
    fn text(value: &Value) -> Result<Option<Cow<'_, str>>, String> {
        Ok(match value {
            Value::Null => None,
            Value::Bool(value) => Some(Cow::Borrowed(if *value { "true" } else { "false" })),
            Value::Number(number) => Some(Cow::Owned(number.to_string())),
            Value::String(text) => Some(Cow::Borrowed(text)),
            Value::Array(_) | Value::Object(_) => return Err("unsupported value".to_owned()),
        })
    }
    let object = match serde_json::to_value(value).map_err(|error| error.to_string())? {
        Value::Object(object) => object,
        _ => return Err("a form is an object".to_owned()),
    };
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &object {
        let items = match value {
            Value::Array(items) => items.as_slice(),
            value => std::slice::from_ref(value),
        };
        for item in items {
            if let Some(text) = text(item)? {
                form.append_pair(name, &text);
            }
        }
    }
    Ok(form.finish())
}

/// A form as serde reads it: a map from each name to its [`Values`].
pub struct Form<'de> {
    fields: Vec<(Cow<'de, str>, Values<'de>)>,
}

impl<'de> Form<'de> {
    pub fn new(form: &'de [u8]) -> Self {
        let mut fields: Vec<(Cow<'de, str>, Values<'de>)> = Vec::new();
        // Where each name is in `fields`: a form may have as many names as pairs.
        let mut index: BTreeMap<Cow<'de, str>, usize> = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(form) {
            match index.get(&name) {
                Some(&at) => fields[at].1.0.push(value),
                None => {
                    index.insert(name.clone(), fields.len());
                    fields.push((name, Values(vec![value])));
                }
            }
        }
        Form { fields }
    }
}

impl<'de> de::Deserializer<'de> for Form<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let fields = self
            .fields
            .into_iter()
            .map(|(name, values)| (Text(name), values));
        visitor.visit_map(MapDeserializer::new(fields))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 char str string option bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Every value given for one name, read as one value where the type asks for one (`Option`
/// of it included), as a list where it asks for a list.
pub struct Values<'de>(pub Vec<Cow<'de, str>>);

impl<'de> Values<'de> {
    /// The only value, or serde's error for a name given several times where one is read.
    fn one(self) -> Result<Text<'de>, Error> {
        let mut values = self.0;
        match values.len() {
            1 => Ok(Text(values.remove(0))),
            _ => Err(Error::custom("unsupported value")),
        }
    }
}

impl<'de> IntoDeserializer<'de, Error> for Values<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! forward_to_one {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                self.one()?.$method(visitor)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Values<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.len() {
            1 => self.one()?.deserialize_any(visitor),
            _ => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(SeqDeserializer::new(self.0.into_iter().map(Text)))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.len() {
            1 => self.one()?.deserialize_option(visitor),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.one()?.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.one()?.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.one()?.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        self.one()?.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.one()?.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.one()?.deserialize_struct(name, fields, visitor)
    }

    forward_to_one! {
        deserialize_bool deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_f32 deserialize_f64 deserialize_identifier deserialize_map
    }
}

/// One value (or a name): text, parsed as the type asks for it.
struct Text<'de>(Cow<'de, str>);

impl<'de> IntoDeserializer<'de, Error> for Text<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! forward_parsed {
    ($($ty:ident => $method:ident,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                match self.0.parse::<$ty>() {
                    Ok(value) => IntoDeserializer::<Error>::into_deserializer(value)
                        .$method(visitor),
                    Err(error) => Err(Error::custom(error)),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Text<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_string(text),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(SeqDeserializer::new(std::iter::once(self)))
    }

    forward_to_deserialize_any! {
        char str string unit bytes byte_buf unit_struct tuple_struct struct identifier tuple
        ignored_any map
    }

    forward_parsed! {
        bool => deserialize_bool,
        u8 => deserialize_u8,
        u16 => deserialize_u16,
        u32 => deserialize_u32,
        u64 => deserialize_u64,
        i8 => deserialize_i8,
        i16 => deserialize_i16,
        i32 => deserialize_i32,
        i64 => deserialize_i64,
        f32 => deserialize_f32,
        f64 => deserialize_f64,
    }
}

/// A value read as an enum: its text names a unit variant.
impl<'de> de::EnumAccess<'de> for Text<'de> {
    type Error = Error;
    type Variant = UnitVariant;

    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, UnitVariant), Error> {
        Ok((seed.deserialize(self)?, UnitVariant))
    }
}

/// The variant a text names: a unit one, never one with data.
struct UnitVariant;

impl<'de> de::VariantAccess<'de> for UnitVariant {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        _seed: S,
    ) -> Result<S::Value, Error> {
        Err(Error::custom("expected unit variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(Error::custom("expected unit variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error::custom("expected unit variant"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Email,
        Msisdn,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Query {
        limit: u8,
        tags: Vec<String>,
        one_tag: Vec<String>,
        since: Option<String>,
        empty: Option<u8>,
        kind: Kind,
        flag: bool,
    }

    #[test]
    fn a_form_is_read_a_name_to_every_value_given_for_it() {
        let form = b"limit=5&tags=a&since=x%20y&tags=b+c&one_tag=d&empty=&kind=msisdn&flag=true";
        let query: Query = super::from_bytes(form).unwrap();
        assert_eq!(
            query,
            Query {
                limit: 5,
                tags: vec!["a".into(), "b c".into()],
                one_tag: vec!["d".into()],
                since: Some("x y".into()),
                empty: None,
                kind: Kind::Msisdn,
                flag: true,
            }
        );
        let kinds: BTreeMap<String, Kind> = super::from_bytes(b"a=email").unwrap();
        assert_eq!(kinds["a"], Kind::Email);
        // Many names, each once: read in one pass, whatever their number.
        let many: String = (0..10_000).map(|n| format!("n{n}={n}&")).collect();
        let many: BTreeMap<String, u32> = super::from_bytes(many.as_bytes()).unwrap();
        assert_eq!(many["n9999"], 9999);
    }

    #[test]
    fn a_value_that_does_not_read_is_serdes_error() {
        let error = |form: &[u8]| super::from_bytes::<Query>(form).unwrap_err().to_string();
        let rest = "tags=a&one_tag=b&kind=email&flag=true";
        assert_eq!(
            error(format!("limit=x&{rest}").as_bytes()),
            "invalid digit found in string"
        );
        assert_eq!(
            error(format!("limit=1&limit=2&{rest}").as_bytes()),
            "unsupported value"
        );
        assert_eq!(
            error(b"limit=1&tags=a&one_tag=b&kind=phone&flag=true"),
            "unknown variant `phone`, expected `email` or `msisdn`"
        );
        assert_eq!(error(b"limit=1"), "missing field `tags`");
    }

    #[test]
    fn a_form_is_written_a_pair_per_property_and_per_item() {
        let value = serde_json::json!({"a": "1 2", "b": [1, 2.5, false], "c": null, "d": []});
        assert_eq!(super::to_string(&value).unwrap(), "a=1+2&b=1&b=2.5&b=false");
        assert!(super::to_string(&serde_json::json!({"a": {"b": 1}})).is_err());
        assert!(super::to_string(&serde_json::json!({"a": [[1]]})).is_err());
        assert!(super::to_string(&"text").is_err());
        let pairs = super::pairs(b"a=1+2&a=%26&b");
        assert_eq!(
            pairs,
            [("a", "1 2"), ("a", "&"), ("b", "")].map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }
}
