//! For the modules' unit tests: the IR of a spec given as text.

use crate::{Generator, Ir};

/// The IR of one OpenAPI or Swagger document (`a.yaml`) as the one API `test`, with `config`
/// appended to the config file (`[router]`, `[errors]`...).
pub(crate) fn ir_of(spec: &str, config: &str) -> Ir {
    ir_of_apis(&[("test", spec)], config)
}

/// The IR of several APIs, each one document (`NAME.yaml`); `files` are further files
/// (shared schemas) by path.
pub(crate) fn ir_of_apis(apis: &[(&str, &str)], config: &str) -> Ir {
    ir_of_files(apis, &[], config)
}

/// Like [`ir_of_apis`], with further files the documents refer to.
pub(crate) fn ir_of_files(apis: &[(&str, &str)], files: &[(&str, &str)], config: &str) -> Ir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("[package]\nname = \"t\"\ndescription = \"t\"\n");
    for (name, spec) in apis {
        std::fs::write(dir.path().join(format!("{name}.yaml")), spec).unwrap();
        text.push_str(&format!(
            "[[api]]\nname = \"{name}\"\ntitle = \"{name}\"\nspecs = [\"{name}.yaml\"]\n"
        ));
    }
    for (path, content) in files {
        std::fs::write(dir.path().join(path), content).unwrap();
    }
    let config = format!("{text}{config}");
    std::fs::write(dir.path().join("codegen.toml"), config).unwrap();
    Generator::from_config_file(&dir.path().join("codegen.toml"))
        .and_then(|g| g.ir())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A spec with the operations used across the unit tests: a query API key that may come
/// as a bearer token, a JSON body, a body in two media types, responses of a code, a
/// class and the default.
pub(crate) const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
components:
  securitySchemes:
    token: {type: apiKey, in: query, name: access_token}
paths:
  /login:
    post:
      operationId: login
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [user]
              properties: {user: {type: string}}
      responses:
        "200": {description: ok}
  /notes:
    put:
      operationId: putNote
      security: [{token: []}]
      requestBody:
        required: true
        content:
          text/plain: {schema: {type: string}}
          application/json: {schema: {type: object, properties: {text: {type: string}}}}
      responses:
        "204": {description: stored}
        "4XX":
          description: refused
          content:
            application/json: {schema: {type: object, properties: {why: {type: string}}}}
        default: {description: other}
"#;
