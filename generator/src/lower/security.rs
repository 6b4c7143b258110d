//! Who may call an operation: the security schemes an API defines and the requirement
//! each operation states.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr};

use crate::config::RouterConfig;
use crate::error::{Error, Location, Result};
use crate::ir::{
    CredentialPlace, CredentialPlaces, ParamLocation, Security, SecurityScheme, SecuritySchemeKind,
};

/// Adds the schemes a spec defines. The files of one API often each define the same
/// scheme: one definition, documented where any file documents it; the same name for two
/// different schemes is an error.
pub(super) fn schemes(
    file: &str,
    openapi: &OpenAPI,
    router: &RouterConfig,
    out: &mut Vec<SecurityScheme>,
) -> Result<()> {
    let Some(components) = &openapi.components else {
        return Ok(());
    };
    for (name, scheme) in &components.security_schemes {
        let ReferenceOr::Item(scheme) = scheme else {
            continue;
        };
        let (kind, description) = kind(scheme);
        match out.iter_mut().find(|s| &s.name == name) {
            Some(existing) if existing.kind == kind => {
                if existing.description.is_none() {
                    existing.description = description.clone();
                }
            }
            Some(existing) => {
                return Err(Error::invalid(
                    Location::new(file, "/components/securitySchemes").child(name),
                    format!(
                        "security scheme `{name}` is defined differently by another spec of this API ({:?})",
                        existing.kind
                    ),
                ));
            }
            None => out.push(SecurityScheme {
                name: name.clone(),
                variant: String::new(),
                extractor: String::new(),
                description: description.clone(),
                places: places(router, &kind),
                kind,
            }),
        }
    }
    Ok(())
}

/// Where a credential of `kind` travels. With `bearer_header` the router takes an API key
/// of the query as `Authorization: Bearer` too (some APIs take their access tokens either way), and
/// the client sends it there, which keeps it out of URLs and logs. A key of a header or a
/// cookie stays where it is: one named `Authorization` already is that header.
fn places(router: &RouterConfig, kind: &SecuritySchemeKind) -> CredentialPlaces {
    let bearer = || CredentialPlace::Authorization("Bearer".into());
    match kind {
        SecuritySchemeKind::ApiKey {
            parameter,
            location,
        } => {
            let own = match location {
                ParamLocation::Query | ParamLocation::Path => {
                    CredentialPlace::Query(parameter.clone())
                }
                ParamLocation::Header => CredentialPlace::Header(parameter.clone()),
                ParamLocation::Cookie => CredentialPlace::Cookie(parameter.clone()),
            };
            if !router.bearer_header || !matches!(own, CredentialPlace::Query(_)) {
                return CredentialPlaces {
                    read: vec![own.clone()],
                    sent: own,
                };
            }
            CredentialPlaces {
                read: vec![own, bearer()],
                sent: bearer(),
            }
        }
        SecuritySchemeKind::Http { scheme } if !scheme.eq_ignore_ascii_case("bearer") => {
            let place = CredentialPlace::Authorization(scheme.clone());
            CredentialPlaces {
                read: vec![place.clone()],
                sent: place,
            }
        }
        SecuritySchemeKind::Http { .. }
        | SecuritySchemeKind::OAuth2
        | SecuritySchemeKind::OpenIdConnect => CredentialPlaces {
            read: vec![bearer()],
            sent: bearer(),
        },
    }
}

fn kind(scheme: &openapiv3::SecurityScheme) -> (SecuritySchemeKind, &Option<String>) {
    match scheme {
        openapiv3::SecurityScheme::APIKey {
            location,
            name: parameter,
            description,
            ..
        } => (
            SecuritySchemeKind::ApiKey {
                parameter: parameter.clone(),
                location: match location {
                    openapiv3::APIKeyLocation::Query => ParamLocation::Query,
                    openapiv3::APIKeyLocation::Header => ParamLocation::Header,
                    openapiv3::APIKeyLocation::Cookie => ParamLocation::Cookie,
                },
            },
            description,
        ),
        openapiv3::SecurityScheme::HTTP {
            scheme,
            description,
            ..
        } => (
            SecuritySchemeKind::Http {
                scheme: scheme.clone(),
            },
            description,
        ),
        openapiv3::SecurityScheme::OAuth2 { description, .. } => {
            (SecuritySchemeKind::OAuth2, description)
        }
        openapiv3::SecurityScheme::OpenIDConnect { description, .. } => {
            (SecuritySchemeKind::OpenIdConnect, description)
        }
    }
}

/// The operation's requirement, or the spec's global one. A scheme the spec does not define
/// is an error that lists the ones it does and shows the overlay that would define it.
pub(super) fn requirement(
    op: &openapiv3::Operation,
    openapi: &OpenAPI,
    at: &Location,
) -> Result<Security> {
    let Some(requirements) = op.security.as_ref().or(openapi.security.as_ref()) else {
        return Ok(Security::None);
    };
    let known = openapi
        .components
        .as_ref()
        .map(|c| c.security_schemes.keys().cloned().collect::<BTreeSet<_>>())
        .unwrap_or_default();
    let mut schemes = Vec::new();
    let mut optional = false;
    for requirement in requirements {
        if requirement.is_empty() {
            optional = true;
        }
        for scheme in requirement.keys() {
            if !known.contains(scheme) {
                return Err(undefined_scheme(scheme, &known, at));
            }
            if !schemes.contains(scheme) {
                schemes.push(scheme.clone());
            }
        }
    }
    Ok(match (schemes.is_empty(), optional) {
        (true, _) => Security::None,
        (false, true) => Security::Optional(schemes),
        (false, false) => Security::Required(schemes),
    })
}

fn undefined_scheme(scheme: &str, known: &BTreeSet<String>, at: &Location) -> Error {
    let defined = if known.is_empty() {
        "this spec defines no security schemes".to_owned()
    } else {
        let names: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        format!("this spec defines {}", names.join(", "))
    };
    Error::invalid(
        at.child("security"),
        format!(
            "security scheme `{scheme}` is not defined ({defined}); define it in the spec, or \
             in the config with an overlay such as\n\n[[overlay]]\nfile = \"{}\"\npointer = \"\"\n\
             reason = \"The spec uses `{scheme}` without defining it.\"\n\
             merge = {{ securityDefinitions = {{ {scheme} = {{ type = \"apiKey\", in = \"header\", name = \"Authorization\" }} }} }}\n\n\
             (`securityDefinitions` in Swagger 2.0, `components = {{ securitySchemes = ... }}` in OpenAPI 3)",
            at.file
        ),
    )
}
