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
                // Made anew per item: syn's `Attribute` is not `Clone` without its
                // `clone-impls` feature.
                let attribute = || -> Option<syn::Attribute> {
                    gate(features).map(|gate| syn::parse_quote!(#gate))
                };
                for item in &mut file.items {
                    if let (Some(attribute), Some(attrs)) = (attribute(), attributes(item)) {
                        attrs.insert(0, attribute);
                    }
                }
                Ok(print(file))
            }
        }
    }
}

/// The attribute that builds an item only with one of the Cargo `features` on: none when
/// it names none.
pub(super) fn gate(features: &[String]) -> Option<TokenStream> {
    match features {
        [] => None,
        [feature] => Some(quote::quote!(#[cfg(feature = #feature)])),
        _ => Some(quote::quote!(#[cfg(any(#(feature = #features),*))])),
    }
}

/// The file printed by prettyplease, but for the invocations of the crate's own
/// declarative macros, which are laid out an entry per line: prettyplease cannot know a
/// macro's grammar, and prints its tokens as one filled paragraph.
fn print(mut file: syn::File) -> String {
    let items = std::mem::take(&mut file.items);
    // The run of items prettyplease prints next; the first carries the file's own
    // attributes.
    let mut run = file;
    let mut text = String::new();
    for item in items {
        match item {
            syn::Item::Macro(mut item) if is_own_declaration(&item) => {
                text += &prettyplease::unparse(&run);
                run.attrs.clear();
                run.items.clear();
                // Attributes and path as prettyplease prints them, then the body laid out.
                let tokens = std::mem::take(&mut item.mac.tokens);
                let head = prettyplease::unparse(&file_of(vec![syn::Item::Macro(item)]));
                text += head.trim_end().trim_end_matches("{}");
                text += "{\n";
                lay_out(tokens, 1, &mut text);
                text += "}\n";
            }
            item => run.items.push(item),
        }
    }
    text + &prettyplease::unparse(&run)
}

fn file_of(items: Vec<syn::Item>) -> syn::File {
    let mut file: syn::File = syn::parse_quote!();
    file.items = items;
    file
}

/// Whether an item invokes, with braces, a macro of the generated crate itself (a path
/// from `crate`).
fn is_own_declaration(item: &syn::ItemMacro) -> bool {
    item.ident.is_none()
        && matches!(item.mac.delimiter, syn::MacroDelimiter::Brace(_))
        && item
            .mac
            .path
            .segments
            .first()
            .is_some_and(|segment| segment.ident == "crate")
}

/// A declaration's tokens, `depth` levels in: a line per comma-ended entry, a braced group
/// opened at the end of its line and its entries a level further in; within a line, words
/// apart, and `:`, `,` and parentheses as Rust writes them.
fn lay_out(tokens: proc_macro2::TokenStream, depth: usize, text: &mut String) {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    let indent = "    ".repeat(depth);
    let mut line = String::new();
    // Whether the next word is written apart from what precedes it.
    let mut apart = false;
    let end_line = |line: &mut String, text: &mut String| {
        if !line.is_empty() {
            *text += &indent;
            *text += line;
            text.push('\n');
            line.clear();
        }
    };
    for token in tokens {
        match token {
            TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                line += " {";
                end_line(&mut line, text);
                lay_out(group.stream(), depth + 1, text);
                *text += &indent;
                *text += "}\n";
                apart = false;
            }
            TokenTree::Group(group) => {
                let mut inner = String::new();
                lay_out(group.stream(), 0, &mut inner);
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    _ => ("", ""),
                };
                // Within parentheses, entries stay on the line.
                line += open;
                line += &inner.trim_end().replace('\n', " ");
                line += close;
                apart = true;
            }
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                line.push(',');
                end_line(&mut line, text);
                apart = false;
            }
            TokenTree::Punct(punct) => {
                line.push(punct.as_char());
                // `a: b` apart, `a::b` together.
                apart = punct.as_char() == ':'
                    && punct.spacing() == Spacing::Alone
                    && !line.ends_with("::");
            }
            word => {
                if apart {
                    line.push(' ');
                }
                line += &word.to_string();
                apart = true;
            }
        }
    }
    end_line(&mut line, text);
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

    #[test]
    fn the_crates_own_macros_are_laid_out_an_entry_per_line() {
        let part = Part::gated(vec!["a".into()], || {
            Ok(quote! {
                pub struct S;
                crate::serde_impls::object! {
                    S { a: "a" required, b: "b" default_with(S::b) skip_none, }
                    extra
                }
                impl S {}
            })
        });
        assert_eq!(
            part.render("x.rs").unwrap(),
            "#[cfg(feature = \"a\")]\n\
             pub struct S;\n\
             #[cfg(feature = \"a\")]\n\
             crate::serde_impls::object! {\n    \
                 S {\n        \
                     a: \"a\" required,\n        \
                     b: \"b\" default_with(S::b) skip_none,\n    \
                 }\n    \
                 extra\n\
             }\n\
             #[cfg(feature = \"a\")]\n\
             impl S {}\n"
        );
    }
}
