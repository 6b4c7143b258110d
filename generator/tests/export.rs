//! The effective OpenAPI documents (`generator openapi`) of the vendored specs: standalone,
//! valid OpenAPI 3.0, overlays applied, the router's own errors documented.

use std::collections::BTreeSet;
use std::path::Path;

use generator::Generator;
use serde_json::Value;

fn exported() -> Vec<(String, Value)> {
    exported_from("../specs/codegen.toml")
}

fn exported_from(config: &str) -> Vec<(String, Value)> {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join(config);
    let generator = Generator::from_config_file(&config).unwrap();
    let files = generator.openapi().unwrap();
    assert_eq!(files, generator.openapi().unwrap(), "two runs, two outputs");
    files
        .into_iter()
        .map(|f| (f.path, serde_json::from_str(&f.contents).unwrap()))
        .collect()
}

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.insert(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn operations(document: &Value) -> impl Iterator<Item = (String, &Value)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .filter(|(method, _)| method.as_str() != "parameters")
                .map(move |(method, op)| (format!("{} {path}", method.to_uppercase()), op))
        })
}

#[test]
fn every_spec_is_exported_as_standalone_openapi_30() {
    standalone_openapi_30(exported());
}

#[test]
fn the_corpus_exports_as_standalone_openapi_30_too() {
    let files = exported_from("../tests/fixtures/corpus/codegen.toml");
    assert_eq!(files.len(), 40);
    let notes = &files
        .iter()
        .find(|(p, _)| p == "apis/docs/notes.json")
        .unwrap()
        .1;
    let create = &notes["paths"]["/notes"]["post"]["responses"];
    assert!(
        create.get("415").is_some(),
        "a body read by media type: {create:#}"
    );
    standalone_openapi_30(files);
}

fn standalone_openapi_30(files: Vec<(String, Value)>) {
    for (path, document) in &files {
        let _: openapiv3::OpenAPI = serde_json::from_value(document.clone())
            .unwrap_or_else(|e| panic!("{path} is not OpenAPI 3.0: {e}"));
        let mut found = BTreeSet::new();
        refs(document, &mut found);
        for reference in found {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| {
                    panic!("{path}: a reference left outside the document: {reference}")
                });
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "{path}: {name} is not a valid component name"
            );
            assert!(
                document["components"]["schemas"].get(name).is_some(),
                "{path}: {reference} is not bundled"
            );
        }
    }
}

/// Whether `responses` documents `status`, by itself or by its class (`4XX`).
fn documents(responses: &serde_json::Map<String, Value>, status: &str) -> bool {
    responses.contains_key(status) || responses.contains_key(&format!("{}XX", &status[..1]))
}

#[test]
fn router_errors_and_overlays_are_documented() {
    let files = exported();
    let paths: Vec<_> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains(&"api/client-server/login.json"), "{paths:?}");
    assert!(paths.contains(&"api/identity/v2_auth.json"), "{paths:?}");
    let document = |path: &str| &files.iter().find(|(p, _)| p == path).unwrap().1;
    let mut secured = 0;
    for (path, document) in &files {
        for (name, op) in operations(document) {
            let responses = op["responses"].as_object().unwrap();
            let needs_token = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
            });
            if needs_token {
                secured += 1;
                assert!(documents(responses, "401"), "{path} {name}: no 401");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413"] {
                    assert!(documents(responses, status), "{path} {name}: no {status}");
                }
            }
        }
    }
    assert!(secured >= 6, "{secured} secured operations");
    // From the config's overlays.
    let register = &document("api/client-server/registration.json")["paths"]["/register"]["post"];
    assert!(register["responses"].get("403").is_some());
    let login = &document("api/client-server/login.json")["paths"]["/login"]["post"];
    let body = &login["requestBody"]["content"]["application/json"]["schema"];
    assert!(body["properties"].get("identifier").is_some(), "{body:#}");
}
