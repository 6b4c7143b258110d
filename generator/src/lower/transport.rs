//! What the generated router does by itself: per operation, the failures it can answer
//! before the method runs and how it reads the body; over all of them, which media types
//! it reads and writes. Decided here once, so the router (emit) and the documents that
//! describe it (export) cannot disagree.

use crate::failure::RouterFailure;
use crate::ir::{
    Api, BodyReading, CredentialPlace, Encoding, Ir, Operation, Security, Transport, TypeKind,
    TypeRef,
};

/// Fills in every operation's `transport` and the IR's `media_uses`.
pub(super) fn decide(ir: &mut Ir) {
    let mut apis = std::mem::take(&mut ir.apis);
    for api in &mut apis {
        let transports: Vec<Transport> = api
            .operations
            .iter()
            .map(|op| transport(ir, api, op))
            .collect();
        for (op, transport) in api.operations.iter_mut().zip(transports) {
            op.transport = transport;
        }
        media_uses(ir, api);
    }
    ir.apis = apis;
}

fn transport(ir: &Ir, api: &Api, op: &Operation) -> Transport {
    use RouterFailure::*;
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
    if let Security::Required(names) | Security::Optional(names) = &op.security {
        errors.extend([MissingCredential, RejectedCredential]);
        let schemes: Vec<_> = names
            .iter()
            .filter_map(|name| api.security_schemes.iter().find(|s| &s.name == name))
            .collect();
        let places = schemes.iter().flat_map(|scheme| &scheme.places.read);
        if places
            .clone()
            .any(|place| matches!(place, CredentialPlace::Authorization(_)))
        {
            errors.push(MalformedCredential);
        }
        if schemes.iter().any(|scheme| scheme.places.read.len() > 1) {
            errors.push(AmbiguousCredential);
        }
    }
    if let Some(reading) = &body {
        errors.extend([
            UnreadableBody,
            BodyNotInMediaType,
            BodyMismatch,
            BodyTooLarge,
        ]);
        if let BodyReading::ByMediaType { required } = reading {
            errors.push(UnsupportedMediaType);
            if *required {
                errors.push(MissingBody);
            }
        }
    }
    if body.is_some() || !op.parameters.is_empty() {
        errors.extend([MissingParameter, InvalidParameter]);
    }
    errors.sort();
    errors.dedup();
    Transport { errors, body }
}

/// Records the media types `api`'s operations read and write.
fn media_uses(ir: &mut Ir, api: &Api) {
    for op in &api.operations {
        if let (Some(BodyReading::ByMediaType { .. }), Some(body)) = (&op.transport.body, &op.body)
            && let Some(id) = body.ty.named_id()
        {
            ir.media_uses.read.insert(id);
        }
        for response in &op.responses {
            if let Some(id) = response.ty.as_ref().and_then(TypeRef::named_id)
                && matches!(ir.types[id.0].kind, TypeKind::Media { .. })
            {
                ir.media_uses.written.insert(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{SPEC, ir_of};
    use RouterFailure::*;

    fn operation<'a>(ir: &'a Ir, name: &str) -> &'a Operation {
        ir.apis[0]
            .operations
            .iter()
            .find(|op| op.name == name)
            .unwrap()
    }

    #[test]
    fn an_open_operation_with_a_json_body_answers_body_and_parameter_failures() {
        let ir = ir_of(SPEC, "");
        let login = &operation(&ir, "login").transport;
        assert_eq!(
            login.errors,
            [
                UnreadableBody,
                BodyNotInMediaType,
                BodyMismatch,
                BodyTooLarge,
                MissingParameter,
                InvalidParameter
            ]
        );
        assert_eq!(
            login.body,
            Some(BodyReading::Structured {
                required: true,
                form: false
            })
        );
    }

    #[test]
    fn credentials_from_two_places_can_be_ambiguous_and_media_bodies_unsupported() {
        // Without `bearer_header`, the key has one place: nothing to be ambiguous about.
        let ir = ir_of(SPEC, "");
        let note = &operation(&ir, "put_note").transport;
        assert!(note.errors.contains(&MissingCredential));
        assert!(!note.errors.contains(&AmbiguousCredential));
        assert!(note.errors.contains(&UnsupportedMediaType) && note.errors.contains(&MissingBody));
        assert_eq!(note.body, Some(BodyReading::ByMediaType { required: true }));
        let ir = ir_of(SPEC, "[router]\nbody_limit = 10\nbearer_header = true\n");
        let note = &operation(&ir, "put_note").transport;
        assert!(note.errors.contains(&AmbiguousCredential));
        assert!(note.errors.contains(&MalformedCredential));
    }

    #[test]
    fn media_types_read_are_recorded_through_boxes() {
        let mut ir = ir_of(SPEC, "");
        let body = operation(&ir, "put_note").body.clone().unwrap();
        let id = body.ty.named_id().unwrap();
        assert!(ir.media_uses.read.contains(&id));
        // Deciding again over a boxed body (as if layout had run first) finds the same.
        ir.media_uses = Default::default();
        for op in &mut ir.apis[0].operations {
            if let Some(body) = &mut op.body {
                body.ty = TypeRef::Boxed(Box::new(body.ty.clone()));
            }
        }
        decide(&mut ir);
        assert!(ir.media_uses.read.contains(&id));
    }
}
