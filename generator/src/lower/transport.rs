//! What the generated router does by itself: per operation, the errors it can answer
//! before the method runs and how it reads the body; over all of them, which parts of the
//! shared runtime the crate needs. Decided here once, so the router (emit) and the
//! documents that describe it (export) cannot disagree.

use crate::ir::{
    Api, BodyReading, Encoding, Ir, Operation, Security, SecuritySchemeKind, Transport,
    TransportErrorKind, TypeKind, TypeRef,
};

/// Fills in every operation's `transport` and the IR's `router_uses`.
pub(super) fn decide(ir: &mut Ir) {
    let mut apis = std::mem::take(&mut ir.apis);
    for api in &mut apis {
        for op in &mut api.operations {
            op.transport = transport(ir, op);
        }
        uses_of_api(ir, api);
    }
    ir.apis = apis;
}

fn transport(ir: &Ir, op: &Operation) -> Transport {
    use TransportErrorKind::*;
    let body = op.body.as_ref().map(|body| {
        let required = body.required;
        match ir.named(&body.ty).map(|def| &def.kind) {
            Some(TypeKind::Media { .. }) => BodyReading::ByMediaType { required },
            _ => BodyReading::Structured {
                required,
                form: body
                    .content_types
                    .iter()
                    .any(|ct| Encoding::of(ct) == Encoding::Form),
            },
        }
    });
    let mut errors = Vec::new();
    if !matches!(op.security, Security::None) {
        errors.extend([MissingToken, UnknownToken]);
    }
    if let Some(reading) = &body {
        errors.extend([NotJson, BadJson, TooLarge]);
        if matches!(reading, BodyReading::ByMediaType { .. }) {
            errors.push(UnsupportedMediaType);
        }
    }
    if body.is_some() || !op.parameters.is_empty() {
        errors.extend([MissingParam, InvalidParam]);
    }
    errors.sort();
    Transport { errors, body }
}

fn uses_of_api(ir: &mut Ir, api: &Api) {
    let uses = &mut ir.router_uses;
    for scheme in &api.security_schemes {
        match &scheme.kind {
            SecuritySchemeKind::ApiKey { .. } => {
                uses.api_keys = true;
                let as_bearer = scheme.places.reads_bearer();
                uses.api_keys_as_bearer |= as_bearer;
                uses.bearer |= as_bearer;
            }
            SecuritySchemeKind::Http { scheme } if !scheme.eq_ignore_ascii_case("bearer") => {
                uses.authorization = true;
            }
            SecuritySchemeKind::Http { .. }
            | SecuritySchemeKind::OAuth2
            | SecuritySchemeKind::OpenIdConnect => uses.bearer = true,
        }
    }
    uses.shared_routes |= api.routes.iter().any(|route| route.operations.len() > 1);
    for op in &api.operations {
        for parameter in &op.parameters {
            match parameter.location {
                crate::ir::ParamLocation::Path => uses.path_parameters = true,
                crate::ir::ParamLocation::Query if parameter.spread => {
                    uses.spread_query_parameters = true
                }
                crate::ir::ParamLocation::Query => uses.query_parameters = true,
                crate::ir::ParamLocation::Header => uses.header_parameters = true,
                crate::ir::ParamLocation::Cookie => {}
            }
        }
        match (&op.transport.body, &op.body) {
            (Some(BodyReading::Structured { required, .. }), _) => {
                if *required {
                    uses.required_bodies = true;
                } else {
                    uses.optional_bodies = true;
                }
            }
            (Some(BodyReading::ByMediaType { .. }), Some(body)) => {
                if let TypeRef::Named(id) = body.ty {
                    uses.media_read.insert(id);
                }
            }
            _ => {}
        }
        for response in &op.responses {
            match &response.ty {
                None => uses.empty_responses = true,
                Some(TypeRef::Named(id))
                    if matches!(ir.types[id.0].kind, TypeKind::Media { .. }) =>
                {
                    uses.media_written.insert(*id);
                }
                Some(_) => {}
            }
        }
    }
}
