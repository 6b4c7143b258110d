//! Spec descriptions as rustdoc: reStructuredText-isms become Markdown, and text rustdoc
//! would misread (bare URLs, stray brackets, angle brackets) is escaped.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Field, TypeDef};

/// A type's doc: its schema's description, else where its schema is, so that every item
/// of the crate is documented (it builds with `#![deny(missing_docs)]`).
pub fn type_doc(def: &TypeDef) -> String {
    match def.description.as_deref().map(str::trim) {
        Some(description) if !description.is_empty() => description.to_owned(),
        _ => {
            let origin = &def.origins[0];
            format!("The schema at `{}#{}`.", origin.file, origin.pointer)
        }
    }
}

/// A field's doc: its property's description, else the property it holds.
pub fn field_doc(field: &Field) -> String {
    match field.description.as_deref().map(str::trim) {
        Some(description) if !description.is_empty() => description.to_owned(),
        _ => format!("The `{}` property.", field.name),
    }
}

/// `#[doc]` attributes for `text`, one per line; nothing for `None` or blank text.
pub fn doc_attrs(text: Option<&str>) -> TokenStream {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return TokenStream::new();
    };
    // Tabs in YAML block scalars are text; rustdoc and clippy want spaces.
    let markdown = to_markdown(&text.replace('\t', "    "));
    let lines = markdown.lines().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

/// Several paragraphs as one doc block, skipping absent ones.
pub fn doc_paragraphs(paragraphs: &[Option<&str>]) -> TokenStream {
    let text = paragraphs
        .iter()
        .flatten()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    doc_attrs(Some(&text))
}

/// Converts the reStructuredText some specs mix into their Markdown.
pub fn to_markdown(text: &str) -> String {
    let mut list_indent: Option<usize> = None;
    text.lines()
        .map(|line| {
            let line = escape_line(&convert_rst(line.trim_end()));
            let leading = line.len() - line.trim_start().len();
            if let Some(marker) = list_marker(line.trim_start()) {
                list_indent = Some(leading + marker);
                line
            } else if line.trim().is_empty() {
                list_indent = None;
                line
            } else {
                // A line right after a list item continues it (Markdown's lazy
                // continuation): indent it so that it visibly does.
                match list_indent {
                    Some(indent) if leading < indent => {
                        format!("{}{}", " ".repeat(indent), line.trim_start())
                    }
                    _ => line,
                }
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The width of a list item's marker (`- `, `* `, `1. `), if the line starts one.
fn list_marker(line: &str) -> Option<usize> {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return Some(2);
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && line[digits..].starts_with(". ")).then_some(digits + 2)
}

/// ``` ``code`` ``` → `` `code` ``; `` `Link`_ `` → `Link`; `|name|_` → `` `name` ``.
fn convert_rst(line: &str) -> String {
    let mut out = line.replace("``", "`");
    // `Text`_ : an RST reference whose target we do not have.
    while let Some(end) = out.find("`_") {
        let Some(start) = out[..end].rfind('`') else {
            break;
        };
        let inner = out[start + 1..end].to_owned();
        out.replace_range(start..end + 2, &inner);
    }
    // |name|_ : an RST substitution reference.
    while let Some(end) = out.find("|_") {
        let Some(start) = out[..end].rfind('|') else {
            break;
        };
        let inner = format!("`{}`", &out[start + 1..end]);
        out.replace_range(start..end + 2, &inner);
    }
    out
}

/// Escapes what rustdoc would take for HTML tags or intra-doc links, and wraps bare URLs,
/// outside code spans.
fn escape_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            i += 1;
            continue;
        }
        if in_code {
            out.push(c);
            i += 1;
            continue;
        }
        let rest: String = chars[i..].iter().collect();
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let preceded_by_link = out.ends_with("](") || out.ends_with('<');
            let url: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | '>' | '"'))
                .collect();
            let url = url.trim_end_matches(['.', ',', ';', ':']).to_owned();
            if preceded_by_link {
                out.push_str(&url);
            } else {
                out.push_str(&format!("<{url}>"));
            }
            i += url.chars().count();
            continue;
        }
        match c {
            '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                // A Markdown link `[text](target)` stays; any other bracket is literal.
                let close = chars[i..].iter().position(|&c| c == ']').map(|p| p + i);
                let is_link = close.is_some_and(|close| chars.get(close + 1) == Some(&'('));
                if !is_link {
                    out.push('\\');
                }
                out.push(c);
            }
            ']' => {
                if chars.get(i + 1) != Some(&'(') {
                    out.push('\\');
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rst_becomes_markdown() {
        assert_eq!(
            to_markdown("Required when ``type`` is ``m.login.password``."),
            "Required when `type` is `m.login.password`."
        );
        assert_eq!(
            to_markdown("uses the `User-Interactive Authentication API`_."),
            "uses the User-Interactive Authentication API."
        );
        assert_eq!(
            to_markdown("using the |/tokenrefresh|_ API"),
            "using the `/tokenrefresh` API"
        );
    }

    #[test]
    fn list_continuations_are_indented() {
        assert_eq!(to_markdown("* a\nmore\n\nnext"), "* a\n  more\n\nnext");
        assert_eq!(to_markdown("1. a\n   b"), "1. a\n   b");
    }

    #[test]
    fn rustdoc_hazards_are_escaped() {
        assert_eq!(
            to_markdown("see https://example.org/x."),
            "see <https://example.org/x>."
        );
        assert_eq!(
            to_markdown("a [3PID Types](/appendices/#3pid-types) link"),
            "a [3PID Types](/appendices/#3pid-types) link"
        );
        assert_eq!(
            to_markdown("Bearer <token> [optional]"),
            "Bearer \\<token\\> \\[optional\\]"
        );
        assert_eq!(to_markdown("`<kept>` in code"), "`<kept>` in code");
    }
}
