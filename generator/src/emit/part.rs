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
    Rust(Box<dyn Fn() -> Result<TokenStream, EmitError> + Sync + 'a>),
}

impl<'a> Part<'a> {
    pub(super) fn text(text: String) -> Self {
        Part::Text(Box::new(move || Ok(text.clone())))
    }

    pub(super) fn rust(make: impl Fn() -> TokenStream + Sync + 'a) -> Self {
        Part::Rust(Box::new(move || Ok(make())))
    }

    /// The part's text; `path` names the file in errors.
    pub(super) fn render(&self, path: &str) -> Result<String, EmitError> {
        match self {
            Part::Text(make) => make(),
            Part::Rust(make) => {
                let file: syn::File = syn::parse2(make()?).map_err(|e| EmitError::InvalidRust {
                    file: path.to_owned(),
                    message: e.to_string(),
                })?;
                Ok(prettyplease::unparse(&file))
            }
        }
    }
}
