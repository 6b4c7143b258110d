//! The vendored specs: each restored file keeps its seed's text and has the nesting Swagger
//! 2.0 gives it.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn spec_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

fn load(path: &str) -> Value {
    let source = std::fs::read_to_string(spec_root().join(path)).unwrap();
    generator::load::parse(path, source).unwrap().value
}

/// An operation as the spec file nests it: (spec, path, method, parameter `in`s, statuses).
type SeededOperation = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const STRUCTURE: &[SeededOperation] = &[
    (
        "api/client-server/login.yaml",
        "/login",
        "post",
        &["body"],
        &["200", "400", "403", "429"],
    ),
    (
        "api/client-server/login.yaml",
        "/tokenrefresh",
        "post",
        &["body"],
        &["200", "403", "429"],
    ),
    (
        "api/client-server/registration.yaml",
        "/register",
        "post",
        &["query", "body"],
        &["200", "400", "401", "429"],
    ),
    (
        "api/client-server/registration.yaml",
        "/account/password",
        "post",
        &["body"],
        &["200", "401", "429"],
    ),
    (
        "api/client-server/administrative_contact.yaml",
        "/account/3pid",
        "get",
        &[],
        &["200"],
    ),
    (
        "api/client-server/administrative_contact.yaml",
        "/account/3pid",
        "post",
        &["body"],
        &["200", "403"],
    ),
    (
        "api/identity/v2_auth.yaml",
        "/account/register",
        "post",
        &["body"],
        &["200"],
    ),
    (
        "api/identity/v2_auth.yaml",
        "/account",
        "get",
        &[],
        &["200"],
    ),
    (
        "api/identity/v2_auth.yaml",
        "/account/logout",
        "post",
        &[],
        &["200", "401"],
    ),
    (
        "api/identity/associations.yaml",
        "/3pid/getValidated3pid",
        "get",
        &["query", "query"],
        &["200", "400", "404"],
    ),
    (
        "api/identity/associations.yaml",
        "/3pid/bind",
        "post",
        &["body"],
        &["200", "400", "404"],
    ),
    (
        "api/identity/associations.yaml",
        "/3pid/unbind",
        "post",
        &["body"],
        &["200", "400", "404", "403", "501"],
    ),
];

#[test]
fn every_spec_has_the_seeded_paths_methods_parameters_and_responses() {
    let mut seen = std::collections::BTreeSet::new();
    for (file, path, method, parameters, statuses) in STRUCTURE {
        let doc = load(file);
        assert_eq!(doc["swagger"], "2.0", "{file}");
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{file}: {method} {path} missing");
        let ins: Vec<&str> = op["parameters"]
            .as_array()
            .map(|p| p.iter().map(|p| p["in"].as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(&ins, parameters, "{file}: {method} {path} parameters");
        let responses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        assert_eq!(&responses, statuses, "{file}: {method} {path} responses");
        for status in *statuses {
            assert!(
                op["responses"][status]["description"].is_string(),
                "{file}: {path} {status}"
            );
        }
        seen.insert((file.to_string(), path.to_string(), method.to_string()));
    }
    // Nothing beyond the table: every operation in the files is one of the 12 above.
    for file in STRUCTURE
        .iter()
        .map(|s| s.0)
        .collect::<std::collections::BTreeSet<_>>()
    {
        for (path, item) in load(file)["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                assert!(
                    seen.contains(&(file.to_string(), path.clone(), method.clone())),
                    "{file} {method} {path}"
                );
            }
        }
    }
    assert_eq!(seen.len(), 12);
}

#[test]
fn nesting_is_restored_where_it_carries_meaning() {
    let login = load("api/client-server/login.yaml");
    let body = &login["paths"]["/login"]["post"]["parameters"][0]["schema"];
    assert_eq!(body["required"], serde_json::json!(["type"]));
    assert_eq!(
        body["properties"]["type"]["enum"],
        serde_json::json!(["m.login.password", "m.login.token"])
    );
    assert_eq!(
        login["securityDefinitions"]["$ref"],
        "definitions/security.yaml"
    );
    assert_eq!(login["info"]["version"], "1.0.0");

    let registration = load("api/client-server/registration.yaml");
    let kind = &registration["paths"]["/register"]["post"]["parameters"][0];
    assert_eq!(kind["default"], "user");
    assert_eq!(kind["enum"], serde_json::json!(["guest", "user"]));
    let auth = &registration["paths"]["/register"]["post"]["parameters"][1]["schema"]["properties"]
        ["auth"];
    assert_eq!(auth["$ref"], "definitions/auth_data.yaml");
    assert!(
        auth["description"]
            .as_str()
            .unwrap()
            .starts_with("Additional authentication")
    );

    let associations = load("api/identity/associations.yaml");
    let bind_ok = &associations["paths"]["/3pid/bind"]["post"]["responses"]["200"];
    assert_eq!(
        bind_ok["examples"]["application/json"]["signatures"]["matrix.org"]["ed25519:0"]
            .as_str()
            .unwrap()
            .len(),
        86
    );
    assert_eq!(bind_ok["schema"]["required"].as_array().unwrap().len(), 7);
    assert_eq!(
        bind_ok["schema"]["properties"]["signatures"]["$ref"],
        "../../schemas/server-signatures.yaml"
    );
    let unbind = &associations["paths"]["/3pid/unbind"]["post"]["parameters"][0]["schema"];
    assert_eq!(
        unbind["properties"]["threepid"]["required"],
        serde_json::json!(["medium", "address"])
    );
    assert_eq!(unbind["required"], serde_json::json!(["threepid", "mxid"]));

    let auth = load("api/identity/v2_auth.yaml");
    assert_eq!(auth["basePath"], "/_matrix/identity/v2");
    assert_eq!(
        auth["paths"]["/account"]["get"]["security"],
        serde_json::json!([{"accessToken": []}])
    );
}

/// The check of `../shared/tools/seed_lines.py`: ignoring indentation, blank lines and runs of
/// spaces, a restored spec is its seed's text without the page junk above it.
#[test]
fn restored_specs_keep_their_seeds_text() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/seeds");
    let pairs = [
        ("000_b69c9839078037cc.txt", "api/identity/v2_auth.yaml"),
        ("001_f6e301173ad02795.txt", "api/client-server/login.yaml"),
        (
            "002_60843056d56a24b4.txt",
            "api/client-server/administrative_contact.yaml",
        ),
        (
            "003_f01f01f9d36fae62.txt",
            "api/client-server/registration.yaml",
        ),
        ("004_e7792baac2e5953c.txt", "api/identity/associations.yaml"),
    ];
    assert!(
        seeds.is_dir(),
        "the seeds are expected beside the project, at {}",
        seeds.display()
    );
    let text_lines = |text: &str, skip_junk: bool| -> Vec<String> {
        let mut started = !skip_junk;
        text.lines()
            .filter(|line| {
                started =
                    started || line.starts_with("# Copyright") || line.starts_with("swagger:");
                started
            })
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty())
            .collect()
    };
    for (seed, spec) in pairs {
        let seed_text = std::fs::read_to_string(seeds.join(seed)).unwrap();
        let spec_text = std::fs::read_to_string(spec_root().join(spec)).unwrap();
        assert_eq!(
            text_lines(&seed_text, true),
            text_lines(&spec_text, false),
            "{spec} differs from {seed}"
        );
    }
}
