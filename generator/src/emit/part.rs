//! A piece of a generated file: the unit the emitters produce and `emit` renders on
//! whichever core is free.

use proc_macro2::TokenStream;

use crate::error::EmitError;

/// A piece of a generated file, made on whichever core is free. A file is the pieces' texts
/// in order; Rust pieces are parsed and printed on their own (prettyplease separates items by
/// nothing but their own line ends, so the bytes are those of the whole file printed at
/// once). Pieces are small (an operation's types, a test, a type), so the cores stay busy to
/// the end however uneven the files are, and no large syntax tree is ever held whole.
pub(super) enum Part<'a> {
    /// Text as it is: the header, a template's rendering, a verbatim module.
    Text(Box<dyn Fn() -> Result<String, EmitError> + Sync + 'a>),
    /// Rust items, as tokens. Tokens cannot cross threads, so they are made where printed.
    /// Each item builds only with one of `features` on (always, when it names none).
    Rust {
        make: Box<dyn Fn() -> Result<TokenStream, EmitError> + Sync + 'a>,
        features: Vec<String>,
    },
}

impl<'a> Part<'a> {
    pub(super) fn text(text: String) -> Self {
        Part::Text(Box::new(move || Ok(text.clone())))
    }

    pub(super) fn rust(make: impl Fn() -> TokenStream + Sync + 'a) -> Self {
        Part::gated(Vec::new(), move || Ok(make()))
    }

    /// Rust items that build only with one of the Cargo `features` on.
    pub(super) fn gated(
        features: Vec<String>,
        make: impl Fn() -> Result<TokenStream, EmitError> + Sync + 'a,
    ) -> Self {
        Part::Rust {
            make: Box::new(make),
            features,
        }
    }

    /// The part's text; `path` names the file in errors.
    pub(super) fn render(&self, path: &str) -> Result<String, EmitError> {
        match self {
            Part::Text(make) => make(),
            Part::Rust { make, features } => {
                let mut file: syn::File =
                    syn::parse2(make()?).map_err(|e| EmitError::InvalidRust {
                        file: path.to_owned(),
                        message: e.to_string(),
                    })?;
                let gate = || -> Option<syn::Attribute> {
                    match features.as_slice() {
                        [] => None,
                        [feature] => Some(syn::parse_quote!(#[cfg(feature = #feature)])),
                        _ => Some(syn::parse_quote!(#[cfg(any(#(feature = #features),*))])),
                    }
                };
                for item in &mut file.items {
                    if let (Some(gate), Some(attrs)) = (gate(), attributes(item)) {
                        attrs.insert(0, gate);
                    }
                }
                Ok(prettyplease::unparse(&file))
            }
        }
    }
}

/// The attributes of an item, where it has any.
fn attributes(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        syn::Item::Const(item) => &mut item.attrs,
        syn::Item::Enum(item) => &mut item.attrs,
        syn::Item::Fn(item) => &mut item.attrs,
        syn::Item::Impl(item) => &mut item.attrs,
        syn::Item::Mod(item) => &mut item.attrs,
        syn::Item::Static(item) => &mut item.attrs,
        syn::Item::Struct(item) => &mut item.attrs,
        syn::Item::Trait(item) => &mut item.attrs,
        syn::Item::Type(item) => &mut item.attrs,
        syn::Item::Use(item) => &mut item.attrs,
        syn::Item::Macro(item) => &mut item.attrs,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn a_gated_part_puts_its_features_on_every_item() {
        let features = vec!["a".to_owned(), "b".to_owned()];
        let part = Part::gated(features, || Ok(quote!(pub struct S; impl S {})));
        let text = part.render("x.rs").unwrap();
        assert_eq!(
            text.matches("#[cfg(any(feature = \"a\", feature = \"b\"))]")
                .count(),
            2,
            "{text}"
        );
        let one = Part::gated(vec!["a".into()], || {
            Ok(quote!(
                pub struct S;
            ))
        });
        assert!(
            one.render("x.rs")
                .unwrap()
                .starts_with("#[cfg(feature = \"a\")]\n")
        );
        assert!(
            !Part::rust(|| quote!(
                pub struct S;
            ))
            .render("x.rs")
            .unwrap()
            .contains("cfg")
        );
    }
}
