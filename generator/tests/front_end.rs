//! The front end (load → resolve → upgrade → lower) on the vendored specs, and on small
//! broken spec sets: every error names the file and the JSON pointer.

use std::path::Path;

use generator::ir::{Security, Status, TypeKind, TypeRef};
use generator::{Generator, Ir};

fn matrix_ir() -> Ir {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/codegen.toml");
    Generator::from_config_file(&config).unwrap().ir().unwrap()
}

#[test]
fn ir_lists_every_seeded_operation_under_every_base_path() {
    let ir = matrix_ir();
    let ops: Vec<(&str, &str, Vec<String>)> = ir
        .apis
        .iter()
        .flat_map(|api| api.operations.iter())
        .map(|op| (op.name.as_str(), op.method.as_str(), op.full_paths.clone()))
        .collect();
    // The 12 seeded operations, and ours beside them, in spec order.
    let expected: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "login",
            "POST",
            vec!["/_matrix/client/r0/login", "/_matrix/client/v3/login"],
        ),
        (
            "refresh",
            "POST",
            vec![
                "/_matrix/client/r0/tokenrefresh",
                "/_matrix/client/v3/tokenrefresh",
            ],
        ),
        (
            "register",
            "POST",
            vec!["/_matrix/client/r0/register", "/_matrix/client/v3/register"],
        ),
        (
            "change_password",
            "POST",
            vec![
                "/_matrix/client/r0/account/password",
                "/_matrix/client/v3/account/password",
            ],
        ),
        (
            "get_account_3pids",
            "GET",
            vec![
                "/_matrix/client/r0/account/3pid",
                "/_matrix/client/v3/account/3pid",
            ],
        ),
        (
            "post_3pids",
            "POST",
            vec![
                "/_matrix/client/r0/account/3pid",
                "/_matrix/client/v3/account/3pid",
            ],
        ),
        // Beyond the seeds, ours: what the homeserver's flows need.
        ("get_versions", "GET", vec!["/_matrix/client/versions"]),
        (
            "request_open_id_token",
            "POST",
            vec![
                "/_matrix/client/r0/user/{userId}/openid/request_token",
                "/_matrix/client/v3/user/{userId}/openid/request_token",
            ],
        ),
        (
            "exchange_open_id_token",
            "GET",
            vec!["/_matrix/federation/v1/openid/userinfo"],
        ),
        // The seeded identity operations.
        (
            "register_account",
            "POST",
            vec!["/_matrix/identity/v2/account/register"],
        ),
        ("get_account", "GET", vec!["/_matrix/identity/v2/account"]),
        (
            "logout",
            "POST",
            vec!["/_matrix/identity/v2/account/logout"],
        ),
        (
            "get_validated3pid",
            "GET",
            vec!["/_matrix/identity/api/v1/3pid/getValidated3pid"],
        ),
        ("bind", "POST", vec!["/_matrix/identity/api/v1/3pid/bind"]),
        (
            "unbind",
            "POST",
            vec!["/_matrix/identity/api/v1/3pid/unbind"],
        ),
        // Beyond the seeds, ours: what the identity server's flows need.
        (
            "email_request_token",
            "POST",
            vec!["/_matrix/identity/api/v1/validate/email/requestToken"],
        ),
        (
            "email_submit_token_get",
            "GET",
            vec!["/_matrix/identity/api/v1/validate/email/submitToken"],
        ),
        (
            "email_submit_token_post",
            "POST",
            vec!["/_matrix/identity/api/v1/validate/email/submitToken"],
        ),
        (
            "get_pub_key",
            "GET",
            vec!["/_matrix/identity/api/v1/pubkey/{keyId}"],
        ),
    ];
    // The rest of the identity API, vendored from v1.16 and written for v1.
    let v2 = |name, method, path: &str| (name, method, vec![format!("/_matrix/identity{path}")]);
    let expected: Vec<(&str, &str, Vec<String>)> = expected
        .into_iter()
        .map(|(name, method, paths)| (name, method, paths.into_iter().map(String::from).collect()))
        .chain([
            v2("get_versions", "GET", "/versions"),
            v2("ping_v2", "GET", "/v2"),
            v2("get_terms", "GET", "/v2/terms"),
            v2("agree_to_terms", "POST", "/v2/terms"),
            v2("get_hash_details", "GET", "/v2/hash_details"),
            v2("lookup_users_v2", "POST", "/v2/lookup"),
            v2("get_validated3pid_v2", "GET", "/v2/3pid/getValidated3pid"),
            v2("bind_v2", "POST", "/v2/3pid/bind"),
            v2("unbind_v2", "POST", "/v2/3pid/unbind"),
            v2(
                "email_request_token_v2",
                "POST",
                "/v2/validate/email/requestToken",
            ),
            v2(
                "email_submit_token_get_v2",
                "GET",
                "/v2/validate/email/submitToken",
            ),
            v2(
                "email_submit_token_post_v2",
                "POST",
                "/v2/validate/email/submitToken",
            ),
            v2(
                "msisdn_request_token_v2",
                "POST",
                "/v2/validate/msisdn/requestToken",
            ),
            v2(
                "msisdn_submit_token_get_v2",
                "GET",
                "/v2/validate/msisdn/submitToken",
            ),
            v2(
                "msisdn_submit_token_post_v2",
                "POST",
                "/v2/validate/msisdn/submitToken",
            ),
            v2("store_invite_v2", "POST", "/v2/store-invite"),
            v2("blindly_sign_stuff_v2", "POST", "/v2/sign-ed25519"),
            v2("get_pub_key_v2", "GET", "/v2/pubkey/{keyId}"),
            v2("is_pub_key_valid_v2", "GET", "/v2/pubkey/isvalid"),
            v2(
                "is_ephemeral_pub_key_valid_v2",
                "GET",
                "/v2/pubkey/ephemeral/isvalid",
            ),
            v2("ping", "GET", "/api/v1"),
            v2("lookup_user", "GET", "/api/v1/lookup"),
            v2("lookup_users", "POST", "/api/v1/bulk_lookup"),
            v2("store_invite", "POST", "/api/v1/store-invite"),
            v2("is_pub_key_valid", "GET", "/api/v1/pubkey/isvalid"),
            v2(
                "is_ephemeral_pub_key_valid",
                "GET",
                "/api/v1/pubkey/ephemeral/isvalid",
            ),
        ])
        .collect();
    assert_eq!(ops, expected);
    assert!(ir.warnings.is_empty(), "{:?}", ir.warnings);
}

#[test]
fn ir_carries_security_overlays_deprecation_and_defaults() {
    let ir = matrix_ir();
    let op = |name: &str| {
        ir.apis
            .iter()
            .flat_map(|a| a.operations.iter())
            .find(|o| o.name == name)
            .unwrap()
    };
    assert_eq!(
        op("get_account_3pids").security,
        Security::Required(vec!["accessToken".into()])
    );
    assert_eq!(
        op("refresh").security,
        Security::Optional(vec!["accessToken".into()])
    );
    assert_eq!(
        op("change_password").security,
        Security::Optional(vec!["accessToken".into()])
    );
    assert_eq!(op("login").security, Security::None);
    assert!(op("bind").deprecated && !op("login").deprecated);
    assert_eq!(
        op("bind").body.as_ref().unwrap().content_types,
        ["application/json", "application/x-www-form-urlencoded"]
    );
    let kind = &op("register").parameters[0];
    assert_eq!((kind.name.as_str(), kind.required), ("kind", false));
    assert_eq!(kind.default, Some(serde_json::json!("user")));
    assert_eq!(kind.ty, ir.type_ref("RegisterKind").unwrap());
    let statuses: Vec<Status> = op("unbind").responses.iter().map(|r| r.status).collect();
    // The config documents the 429 the server answers when it rate-limits.
    assert_eq!(statuses, [200, 400, 403, 404, 429, 501].map(Status::Code));
    // Error responses documented only by example carry the shared error body.
    assert_eq!(
        op("login").responses[1].ty,
        Some(ir.type_ref("MatrixErrorBody").unwrap())
    );
    let scheme = &ir.apis[1].security_schemes[0];
    assert_eq!(scheme.name, "accessToken");
}

#[test]
fn ir_types_are_named_shared_and_shaped_like_the_schemas() {
    let ir = matrix_ir();
    let def = |name: &str| {
        ir.type_named(name)
            .unwrap_or_else(|| panic!("no type {name}"))
    };
    // Two identical error files, one type: the body of the configured `MatrixError`.
    assert_eq!(def("MatrixErrorBody").origins.len(), 2);
    assert_eq!(
        ir.types.iter().filter(|t| t.name.contains("Error")).count(),
        1
    );
    // Titles name types; places name the rest.
    for name in [
        "ThirdPartyIdentifier",
        "ThreePidCredentials",
        "ThreePid",
        "FlowInformation",
        "LoginBody",
        "LoginOkBody",
        "BindOkBody",
    ] {
        def(name);
    }
    let TypeKind::Enum { variants, open, .. } = &def("LoginBodyType").kind else {
        panic!()
    };
    assert!(open);
    assert_eq!(
        variants
            .iter()
            .map(|v| (v.value.as_str(), v.name.as_str()))
            .collect::<Vec<_>>(),
        [("m.login.password", "Password"), ("m.login.token", "Token")]
    );
    // additionalProperties beside properties: a struct with extra keys of any type.
    let TypeKind::Struct {
        fields, additional, ..
    } = &def("AuthData").kind
    else {
        panic!()
    };
    assert_eq!(
        fields
            .iter()
            .map(|f| (f.name.as_str(), f.required))
            .collect::<Vec<_>>(),
        [
            ("type", true),
            ("session", false),
            ("password", false),
            ("threepid_creds", false)
        ]
    );
    assert_eq!(fields[0].ident, "type_");
    assert_eq!(additional, &Some(TypeRef::Any));
    // Nested maps.
    assert_eq!(
        def("ServerSignatures").kind,
        TypeKind::Alias {
            target: TypeRef::Map {
                key: None,
                value: Box::new(TypeRef::Map {
                    key: None,
                    value: Box::new(TypeRef::String {
                        format: None,
                        secret: false
                    })
                })
            }
        }
    );
    // A description beside a $ref documents the field; the type stays shared.
    let TypeKind::Struct { fields, .. } = &def("RegisterBody").kind else {
        panic!()
    };
    let auth = fields.iter().find(|f| f.name == "auth").unwrap();
    assert_eq!(auth.ty, ir.type_ref("AuthData").unwrap());
    let TypeKind::Struct { fields, .. } = &def("BindOkBody").kind else {
        panic!()
    };
    let signatures = fields.iter().find(|f| f.name == "signatures").unwrap();
    assert_eq!(signatures.ty, ir.type_ref("ServerSignatures").unwrap());
    assert!(
        signatures
            .description
            .as_deref()
            .unwrap()
            .starts_with("The signatures of the verifying")
    );
}

#[test]
fn ir_collects_every_example_with_its_type() {
    let ir = matrix_ir();
    assert_eq!(
        ir.examples.len(),
        162,
        "{:#?}",
        ir.examples
            .iter()
            .map(|e| e.location.to_string())
            .collect::<Vec<_>>()
    );
    let login = ir
        .examples
        .iter()
        .find(|e| e.ty == ir.type_ref("LoginBody").unwrap())
        .unwrap();
    // JSON written as text in the spec is read as JSON.
    assert_eq!(login.value["user"], "cheeky_monkey");
}

#[test]
fn the_ir_is_deterministic() {
    let a = serde_json::to_string(&matrix_ir()).unwrap();
    let b = serde_json::to_string(&matrix_ir()).unwrap();
    assert_eq!(a, b);
}

/// Writes `files` into a fresh spec directory with a config whose one API is `roots`.
fn generate(files: &[(&str, &str)], roots: &[&str]) -> Result<Ir, String> {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let specs = roots
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let config = format!(
        "[package]\nname = \"t\"\ndescription = \"t\"\n[[api]]\nname = \"test\"\ntitle = \"T\"\nspecs = [{specs}]\n"
    );
    std::fs::write(dir.path().join("codegen.toml"), config).unwrap();
    Generator::from_config_file(&dir.path().join("codegen.toml"))
        .and_then(|g| g.ir())
        .map_err(|e| e.to_string())
}

const OK_SPEC: &str = "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        200:\n          description: ok\n          schema:\n            $ref: defs/thing.yaml\n";

fn assert_names(message: &str, file: &str, pointer: &str) {
    assert!(
        message.starts_with(&format!("{file}#{pointer}")),
        "expected {file}#{pointer} in: {message}"
    );
}

#[test]
fn a_valid_spec_set_generates() {
    let ir = generate(
        &[
            ("a.yaml", OK_SPEC),
            (
                "defs/thing.yaml",
                "type: object\nproperties: {x: {type: string}}\n",
            ),
        ],
        &["a.yaml"],
    )
    .unwrap();
    assert!(ir.type_named("Thing").is_some());
    // Without an [errors] section, the generator defines the shared error itself.
    assert_eq!(ir.error.type_name, "ApiError");
    assert!(ir.type_named("ApiErrorBody").is_some());
}

#[test]
fn yaml_syntax_errors_name_file_and_line() {
    let err = generate(
        &[("a.yaml", "swagger: '2.0'\npaths:\n  /a: [\n")],
        &["a.yaml"],
    )
    .unwrap_err();
    assert_names(&err, "a.yaml", "(document root)");
    assert!(
        err.contains("YAML syntax error") && err.contains("line"),
        "{err}"
    );
}

#[test]
fn missing_ref_files_name_the_referring_place() {
    let err = generate(&[("a.yaml", OK_SPEC)], &["a.yaml"]).unwrap_err();
    assert_names(&err, "a.yaml", "/paths/~1a/get/responses/200/schema");
    assert!(
        err.contains("defs/thing.yaml") && err.contains("does not exist"),
        "{err}"
    );
    assert!(err.contains("(line 10)"), "{err}");
}

#[test]
fn bad_pointers_name_the_referring_place() {
    let spec = OK_SPEC.replace("defs/thing.yaml", "defs/thing.yaml#/definitions/Nope");
    let err = generate(
        &[("a.yaml", &spec), ("defs/thing.yaml", "definitions: {}\n")],
        &["a.yaml"],
    )
    .unwrap_err();
    assert_names(&err, "a.yaml", "/paths/~1a/get/responses/200/schema");
    assert!(err.contains("`/definitions/Nope` does not exist"), "{err}");
}

#[test]
fn swagger_parameters_that_are_no_list_are_refused_not_dropped() {
    // An overlay's merge patch can turn the list into an object (`parameters = {2 = ...}`):
    // read as no parameters, every parameter would vanish.
    for (at, spec) in [
        (
            "/paths/~1a/get/parameters",
            "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters: {'2': {in: query, name: q, type: string}}\n      responses:\n        200: {description: ok}\n",
        ),
        (
            "/paths/~1a/parameters",
            "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    parameters: {}\n    get:\n      responses:\n        200: {description: ok}\n",
        ),
    ] {
        let err = generate(&[("a.yaml", spec)], &["a.yaml"]).unwrap_err();
        assert!(err.starts_with(&format!("a.yaml#{at}")), "{err}");
        assert!(err.contains("`parameters` must be an array"), "{err}");
    }
}

#[test]
fn reference_cycles_are_named_not_overflowed() {
    // Parameters that refer to each other can never be resolved.
    let spec = "swagger: '2.0'\ninfo: {title: t, version: '1'}\nparameters:\n  a: {$ref: '#/parameters/b'}\n  b: {$ref: '#/parameters/a'}\npaths:\n  /a:\n    get:\n      parameters:\n        - $ref: '#/parameters/a'\n      responses:\n        200: {description: ok}\n";
    let err = generate(&[("a.yaml", spec)], &["a.yaml"]).unwrap_err();
    assert!(err.contains("reference cycle"), "{err}");
    assert!(err.starts_with("a.yaml#/parameters/"), "{err}");
    assert!(
        err.contains("a.yaml#/parameters/b -> a.yaml#/parameters/a -> a.yaml#/parameters/b"),
        "{err}"
    );
    // Schemas that are nothing but references to each other describe nothing.
    let err = generate(
        &[
            ("a.yaml", &OK_SPEC.replace("defs/thing.yaml", "defs/x.yaml")),
            ("defs/x.yaml", "$ref: y.yaml\n"),
            ("defs/y.yaml", "$ref: x.yaml\n"),
        ],
        &["a.yaml"],
    )
    .unwrap_err();
    assert!(
        err.contains("reference cycle")
            && err.contains("defs/x.yaml#")
            && err.contains("defs/y.yaml#"),
        "{err}"
    );
}

#[test]
fn recursive_schemas_are_allowed() {
    let ir = generate(
        &[
            ("a.yaml", OK_SPEC),
            (
                "defs/thing.yaml",
                "type: object\nproperties:\n  child: {$ref: thing.yaml}\n",
            ),
        ],
        &["a.yaml"],
    )
    .unwrap();
    let TypeKind::Struct { fields, .. } = &ir.type_named("Thing").unwrap().kind else {
        panic!()
    };
    // The IR decides the box that gives the type a size.
    let thing = ir.type_ref("Thing").unwrap();
    assert_eq!(fields[0].ty, TypeRef::Boxed(Box::new(thing)));
}

#[test]
fn unsupported_versions_are_refused() {
    for (doc, found) in [
        ("swagger: '1.2'\n", "swagger: 1.2"),
        ("openapi: 4.0.0\n", "openapi: 4.0.0"),
        ("info: {}\n", "neither"),
    ] {
        let err = generate(&[("a.yaml", doc)], &["a.yaml"]).unwrap_err();
        assert!(err.starts_with("a.yaml#"), "{err}");
        assert!(
            err.contains("unsupported spec version") && err.contains(found),
            "{err}"
        );
    }
}

#[test]
fn two_operations_with_one_name_are_refused() {
    let b = OK_SPEC
        .replace("/a:", "/b:")
        .replace("$ref: defs/thing.yaml", "type: object");
    let a = OK_SPEC.replace("$ref: defs/thing.yaml", "type: object");
    let err = generate(&[("a.yaml", &a), ("b.yaml", &b)], &["a.yaml", "b.yaml"]).unwrap_err();
    assert_names(&err, "b.yaml", "/paths/~1b/get");
    assert!(
        err.contains("`get_a` is already used by a.yaml#/paths/~1a/get"),
        "{err}"
    );
}

#[test]
fn parameters_without_a_type_are_refused() {
    let spec = OK_SPEC.replace(
        "      operationId: getA\n",
        "      operationId: getA\n      parameters:\n        - in: query\n          name: q\n",
    );
    let err = generate(
        &[("a.yaml", &spec), ("defs/thing.yaml", "type: object\n")],
        &["a.yaml"],
    )
    .unwrap_err();
    assert_names(&err, "a.yaml", "/paths/~1a/get/parameters/0");
    assert!(err.contains("parameter `q` has no `type`"), "{err}");
    assert!(err.contains("(line 8)"), "{err}");
}

#[test]
fn the_cli_exits_1_with_the_message_and_0_on_success() {
    let bin = env!("CARGO_BIN_EXE_generator");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "swagger: '9'\n").unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        "[package]\nname='t'\ndescription='t'\n[[api]]\nname='t'\ntitle='T'\nspecs=['a.yaml']\n",
    )
    .unwrap();
    let out = std::process::Command::new(bin)
        .args(["ir", "--config"])
        .arg(dir.path().join("c.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("a.yaml#/swagger") && stderr.contains("unsupported spec version"),
        "{stderr}"
    );

    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/codegen.toml");
    let out = std::process::Command::new(bin)
        .args(["ir", "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ir["apis"].as_array().unwrap().len(), 2);
}

#[test]
fn openapi_31_is_normalised_and_what_is_dropped_is_said() {
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/openapi31/codegen.toml");
    let ir = Generator::from_config_file(&config).unwrap().ir().unwrap();
    assert_eq!(ir.warnings.len(), 1, "{:?}", ir.warnings);
    assert_eq!(ir.warnings[0].location.pointer, "/webhooks");
    assert_eq!(
        ir.apis[0].operations[0].full_paths,
        ["/api/v1/pets/{petId}", "/api/v2/pets/{petId}"]
    );
    let TypeKind::Struct { fields, .. } = &ir.type_named("Pet").unwrap().kind else {
        panic!()
    };
    let field = |name: &str| fields.iter().find(|f| f.name == name).unwrap();
    assert!(
        field("name").nullable && field("name").required,
        "`type: [string, null]`"
    );
    assert_eq!(
        field("name").ty,
        TypeRef::String {
            format: None,
            secret: false
        }
    );
    let TypeKind::Enum { variants, .. } = &ir.type_named("PetKind").unwrap().kind else {
        panic!("`const` is an enum")
    };
    assert_eq!(variants[0].value, "pet");
    assert_eq!(
        ir.examples
            .iter()
            .filter(|e| e.ty == ir.type_ref("Pet").unwrap())
            .count(),
        1,
        "`examples` arrays"
    );
}

#[test]
fn what_a_type_cannot_say_is_a_warning_at_its_place_and_the_rest_generates() {
    let spec = r#"
openapi: 3.1.0
info: {title: T, version: '1'}
paths:
  /things:
    post:
      operationId: makeThing
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                size:
                  type: integer
                  if: {minimum: 10}
                  then: {multipleOf: 10}
                other: {not: {type: string}}
                pair:
                  type: array
                  prefixItems: [{type: string}, {type: integer}]
                  items: {type: boolean}
      responses:
        '200': {description: ok}
"#;
    let ir = generate(&[("spec.yaml", spec)], &["spec.yaml"]).unwrap();
    let warnings: Vec<String> = ir
        .warnings
        .iter()
        .map(|w| format!("{} {}", w.location, w.message))
        .collect();
    let at =
        "spec.yaml#/paths/~1things/post/requestBody/content/application~1json/schema/properties";
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings[0].starts_with(&format!("{at}/size `if`, `then` cannot be said")),
        "{warnings:#?}"
    );
    assert!(
        warnings[1].starts_with(&format!("{at}/other/not `not` cannot")),
        "{warnings:#?}"
    );
    assert!(
        warnings[2].starts_with(&format!("{at}/pair/items items past `prefixItems`")),
        "{warnings:#?}"
    );
    assert_eq!(ir.apis[0].operations[0].name, "make_thing");
    let TypeKind::Struct { fields, .. } = &ir.type_named("MakeThingBody").unwrap().kind else {
        panic!()
    };
    assert_eq!(fields[0].ty, TypeRef::Integer { format: None });
    assert_eq!(fields[1].ty, TypeRef::Any);
    assert_eq!(
        fields[2].ty,
        TypeRef::Tuple(vec![
            TypeRef::String {
                format: None,
                secret: false
            },
            TypeRef::Integer { format: None }
        ])
    );
}

#[test]
fn one_scheme_in_several_files_is_one_but_one_name_for_two_schemes_is_an_error() {
    let spec = |scheme: &str, path: &str| {
        format!(
            "openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\ncomponents:\n  securitySchemes:\n    key: {scheme}\nsecurity: [{{key: []}}]\npaths:\n  {path}:\n    get:\n      responses:\n        '200': {{description: ok}}\n"
        )
    };
    let header = "{type: apiKey, in: header, name: X-Key}";
    let same = generate(
        &[
            ("a.yaml", &spec(header, "/a")),
            // The same scheme, documented in one file only.
            (
                "b.yaml",
                &spec(
                    "{type: apiKey, in: header, name: X-Key, description: A key.}",
                    "/b",
                ),
            ),
        ],
        &["a.yaml", "b.yaml"],
    )
    .unwrap();
    assert_eq!(same.apis[0].security_schemes.len(), 1);
    assert_eq!(
        same.apis[0].security_schemes[0].description.as_deref(),
        Some("A key.")
    );
    let error = generate(
        &[
            ("a.yaml", &spec(header, "/a")),
            ("b.yaml", &spec("{type: http, scheme: basic}", "/b")),
        ],
        &["a.yaml", "b.yaml"],
    )
    .unwrap_err();
    assert!(
        error.starts_with("b.yaml#/components/securitySchemes/key"),
        "{error}"
    );
}

#[test]
fn a_response_status_that_is_no_http_status_is_an_error_at_its_place() {
    let spec = "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        700:\n          description: odd\n";
    let message = generate(&[("a.yaml", spec)], &["a.yaml"]).unwrap_err();
    assert_names(&message, "a.yaml", "/paths/~1a/get/responses/700");
    assert!(message.contains("not an HTTP status"), "{message}");
}

#[test]
fn an_undefined_security_scheme_lists_the_defined_ones_and_the_overlay() {
    let spec = "swagger: '2.0'\ninfo: {title: t, version: '1'}\nsecurityDefinitions:\n  key: {type: apiKey, in: header, name: X-Key}\npaths:\n  /a:\n    get:\n      security: [{token: []}]\n      responses:\n        200: {description: ok}\n";
    let message = generate(&[("a.yaml", spec)], &["a.yaml"]).unwrap_err();
    assert_names(&message, "a.yaml", "/paths/~1a/get/security");
    assert!(message.contains("this spec defines `key`"), "{message}");
    assert!(
        message.contains("[[overlay]]") && message.contains("token = {"),
        "{message}"
    );
}

#[test]
fn examples_by_reference_are_read_with_the_errors_of_any_reference() {
    let spec = OK_SPEC.replace(
        "$ref: defs/thing.yaml\n",
        "$ref: defs/thing.yaml\n          examples:\n            application/json: {$ref: examples/thing.json}\n",
    );
    let thing = "type: object\nproperties: {x: {type: string}}\n";
    let ir = generate(
        &[
            ("a.yaml", &spec),
            ("defs/thing.yaml", thing),
            ("examples/thing.json", "{\"x\": \"from a file\"}"),
        ],
        &["a.yaml"],
    )
    .unwrap();
    assert_eq!(
        ir.examples[0].value,
        serde_json::json!({"x": "from a file"})
    );

    let err = generate(
        &[("a.yaml", &spec), ("defs/thing.yaml", thing)],
        &["a.yaml"],
    )
    .unwrap_err();
    assert_names(
        &err,
        "a.yaml",
        "/paths/~1a/get/responses/200/examples/application~1json",
    );
    assert!(
        err.contains("examples/thing.json") && err.contains("does not exist"),
        "{err}"
    );

    // Examples that include each other can never be finished.
    let err = generate(
        &[
            ("a.yaml", &spec),
            ("defs/thing.yaml", thing),
            ("examples/thing.json", "{\"x\": {\"$ref\": \"other.json\"}}"),
            ("examples/other.json", "{\"y\": {\"$ref\": \"thing.json\"}}"),
        ],
        &["a.yaml"],
    )
    .unwrap_err();
    assert!(
        err.contains("reference cycle") && err.contains("examples/other.json#"),
        "{err}"
    );
}

#[test]
fn a_value_openapi_refuses_is_reported_where_it_is() {
    // Deep in a Swagger response schema: reported where the source writes it, not at the
    // `content` the upgrade copies it under (nor at `#/paths`, where serde stops looking).
    let swagger = "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n          schema:\n            type: object\n            properties:\n              name:\n                type: object\n                properties:\n                  first: {type: string, maxLength: ten}\n";
    let err = generate(&[("a.yaml", swagger)], &["a.yaml"]).unwrap_err();
    assert_names(
        &err,
        "a.yaml",
        "/paths/~1a/get/responses/200/schema/properties/name/properties/first/maxLength (line 15)",
    );
    assert!(
        err.contains("invalid type: string \"ten\", expected usize"),
        "{err}"
    );

    // A member of a parameter (an internally tagged enum in openapiv3), in flow style.
    let openapi = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      parameters:\n        - {name: x, in: query, schema: {type: string}, deprecated: maybe}\n      responses:\n        '200': {description: ok}\n";
    let err = generate(&[("b.yaml", openapi)], &["b.yaml"]).unwrap_err();
    assert_names(
        &err,
        "b.yaml",
        "/paths/~1a/get/parameters/0/deprecated (line 7)",
    );

    // A schema of its own file, inside a list of schemas.
    let err = generate(
        &[
            ("a.yaml", OK_SPEC),
            (
                "defs/thing.yaml",
                "type: object\nproperties:\n  x:\n    oneOf:\n      - type: string\n      - type: integer\n        minimum: low\n",
            ),
        ],
        &["a.yaml"],
    )
    .unwrap_err();
    assert_names(
        &err,
        "defs/thing.yaml",
        "/properties/x/oneOf/1/minimum (line 7)",
    );
}

#[test]
fn examples_that_do_not_fit_their_schema_are_warnings_and_get_no_test() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fidelity");
    let ir = Generator::from_config_file(&fixture.join("codegen.toml"))
        .and_then(|g| g.ir())
        .unwrap();
    let misfits: Vec<String> = ir
        .warnings
        .iter()
        .filter(|w| w.message.contains("does not fit its schema"))
        .map(|w| format!("{}: {}", w.location, w.message))
        .collect();
    assert_eq!(
        misfits,
        [
            "spec.yaml#/paths/~1devices~1{deviceId}~1keys/get/responses/200/examples/application~1json: \
             the example does not fit its schema, so it is not tested: at (the example): missing properties 'device_id'",
            "spec30.yaml#/paths/~1devices~1{deviceId}~1summary/get/responses/200/content/application~1json/examples/too_deep/value: \
             the example does not fit its schema, so it is not tested: at (the example): missing properties 'user_id', 'device_id', 'keys'",
        ]
    );
    let tested: Vec<&str> = ir
        .examples
        .iter()
        .map(|e| e.location.pointer.as_str())
        .collect();
    assert!(tested.contains(&"/paths/~1devices~1{deviceId}~1summary/get/responses/200/content/application~1json/examples/from_file/value"));
    assert!(
        !tested.iter().any(|p| p.ends_with("too_deep/value")),
        "{tested:?}"
    );
}

#[test]
fn schemas_that_want_one_name_are_told_apart_by_where_they_are() {
    let operation = |name: &str, property: &str| {
        format!(
            "  /{name}:\n    get:\n      operationId: {name}\n      responses:\n        200:\n          description: ok\n          schema:\n            type: object\n            properties:\n              unsigned:\n                title: Unsigned\n                type: object\n                properties: {{{property}: {{type: string}}}}\n"
        )
    };
    let spec = format!(
        "swagger: '2.0'\ninfo: {{title: t, version: '1'}}\npaths:\n{}{}{}{}",
        operation("getA", "a"),
        operation("getB", "b"),
        operation("getC", "c"),
        operation("getD", "d")
    );
    let ir = generate(&[("a.yaml", &spec)], &["a.yaml"]).unwrap();
    let names: Vec<&str> = ir
        .types
        .iter()
        .filter(|t| t.name.ends_with("Unsigned"))
        .map(|t| t.name.as_str())
        .collect();
    // The first keeps the title, the next its file's stem, the others where they are.
    assert_eq!(
        names,
        ["Unsigned", "AUnsigned", "GetCOkUnsigned", "GetDOkUnsigned"]
    );
}

#[test]
fn a_replaced_schema_that_does_not_exist_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        OK_SPEC.replace("defs/thing.yaml", "thing.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("thing.yaml"), "type: string\n").unwrap();
    let config = "[package]\nname = \"t\"\ndescription = \"t\"\n[[api]]\nname = \"test\"\ntitle = \"T\"\nspecs = [\"a.yaml\"]\n[replace.schemas]\n\"thing.yaml#/nope\" = \"::x::Thing\"\n";
    std::fs::write(dir.path().join("codegen.toml"), config).unwrap();
    let err = Generator::from_config_file(&dir.path().join("codegen.toml"))
        .and_then(|g| g.ir())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("thing.yaml#/nope") && err.contains("does not exist"),
        "{err}"
    );
}
