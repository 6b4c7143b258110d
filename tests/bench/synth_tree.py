#!/usr/bin/env python3
"""Makes a synthetic spec tree of Matrix's size and shape, built to stress what real trees
do and the vendored seeds do not: one API in Swagger 2.0 and one in OpenAPI 3.1, shared
schema files, `allOf` chains with properties beside `allOf`, error bodies that extend the
shared error, draft-4 and 2020-12 tuples, maps of maps of lists of maps, large bodies,
nullable fields, and examples kept in JSON files of their own, given by reference (some
holding references themselves). Every example fits its schema except two upstream-style
slips, which the generator must report as warnings and leave untested.

Deterministic: the same N gives the same bytes.

Usage: synth_tree.py OUT_DIR [FILES_PER_API]   (then generate with OUT_DIR/codegen.toml)"""
import json
import shutil
import sys
from pathlib import Path

ERROR = {
    "type": "object",
    "title": "Error",
    "description": "The shared error.",
    "required": ["errcode"],
    "properties": {
        "errcode": {"type": "string", "description": "An error code."},
        "error": {"type": "string", "description": "A human-readable message."},
    },
}


def dump(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML, so every file is written as JSON; examples get `.json`, specs `.yaml`.
    path.write_text(json.dumps(value, indent=2, sort_keys=False) + "\n")


class Tree:
    def __init__(self, out, files_per_api):
        self.out = out
        self.files = files_per_api

    # ---- schemas, each with an example value that fits it -------------------------------

    def record(self, k, dialect):
        """A plain object: strings, an integer, a float, a boolean, a nullable string."""
        nullable = (
            {"type": "string", "x-nullable": True} if dialect == "swagger" else {"type": ["string", "null"]}
        )
        schema = {
            "type": "object",
            "title": f"Record{k}",
            "description": f"Record number {k}.",
            "required": [f"id_{k}", f"note_{k}"],
            "properties": {
                f"id_{k}": {"type": "string"},
                f"count_{k}": {"type": "integer"},
                f"order_{k}": {"type": "number", "format": "float"},
                f"flag_{k}": {"type": "boolean"},
                f"note_{k}": nullable,
            },
        }
        example = {f"id_{k}": f"r{k}", f"count_{k}": k, f"order_{k}": 0.1 * (k % 7), f"flag_{k}": k % 2 == 0, f"note_{k}": None}
        return schema, example

    def chain(self, k, base_file, base_example):
        """`allOf` of the previous link, with properties and `required` beside it."""
        schema = {
            "title": f"Chain{k}",
            "allOf": [{"$ref": base_file}],
            "properties": {f"extra_{k}": {"type": "string"}, f"tags_{k}": {"type": "array", "items": {"type": "string"}}},
            "required": [f"extra_{k}"],
        }
        example = dict(base_example, **{f"extra_{k}": f"e{k}", f"tags_{k}": ["a", "b"]})
        return schema, example

    def shapes(self, k, dialect):
        """A tuple, a map of maps of lists of maps, and a large body's many fields."""
        if dialect == "swagger":
            tuple_schema = {"type": "array", "items": [{"type": "number"}, {"type": "number"}, {"type": "string"}], "additionalItems": False}
        else:
            tuple_schema = {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}, {"type": "string"}], "items": False}
        properties = {
            "position": tuple_schema,
            "signatures": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"}}},
                },
            },
        }
        properties.update({f"field_{i}": {"type": "string"} for i in range(14)})
        schema = {"type": "object", "title": f"Shapes{k}", "properties": properties}
        example = {"position": [1.5, -2.25, "up"], "signatures": {"@a:x": {"ed25519:D": [{"sig": "s"}]}}}
        example.update({f"field_{i}": f"v{i}" for i in range(0, 14, 3)})
        return schema, example

    # ---- files ----------------------------------------------------------------------------

    def definitions(self, dialect, folder, count):
        """`count` schema files in `folder`: records, chains over them, shapes; with the
        example of each in `examples/`."""
        schemas = []
        for k in range(count):
            name = f"{folder}/s{k}.yaml"
            if k % 4 == 0:
                schema, example = self.record(k, dialect)
            elif k % 4 == 3:
                schema, example = self.shapes(k, dialect)
            else:
                # Chains of up to three links over the record before them.
                base = schemas[-1]
                schema, example = self.chain(k, f"s{k - 1}.yaml", base[2])
            dump(self.out / name, schema)
            dump(self.out / f"examples/{folder}/s{k}.json", example)
            schemas.append((name, schema, example))
        return schemas

    def swagger_api(self, index, schemas):
        paths = {}
        for j in range(10):
            name, _, example = schemas[(index * 10 + j) % len(schemas)]
            ref = f"../{name}"
            example_ref = {"$ref": f"../examples/{name.replace('.yaml', '.json')}"}
            paths[f"/swagger{index}/thing{j}/{{thingId}}"] = {
                "get": {
                    "operationId": f"getThing{index}x{j}",
                    "summary": f"Gets thing {j} of file {index}.",
                    "parameters": [{"name": "thingId", "in": "path", "required": True, "type": "string", "x-example": "t1"}],
                    "responses": {
                        "200": {"description": "The thing.", "schema": {"$ref": ref}, "examples": {"application/json": example_ref}},
                        "404": {
                            "description": "No such thing.",
                            "schema": {"allOf": [{"$ref": "../definitions/error.yaml"}, {"type": "object", "properties": {"thing_id": {"type": "string"}}}]},
                            "examples": {"application/json": {"errcode": "M_NOT_FOUND", "error": "no", "thing_id": "t1"}},
                        },
                    },
                },
                "put": {
                    "operationId": f"putThing{index}x{j}",
                    "parameters": [
                        {"name": "thingId", "in": "path", "required": True, "type": "string"},
                        {"name": "body", "in": "body", "required": True, "schema": {"$ref": ref}},
                    ],
                    "responses": {"200": {"description": "Stored.", "schema": {"type": "object"}, "examples": {"application/json": {}}}},
                },
            }
        if index == 0:
            # An upstream-style slip: a required field missing. A warning, no test.
            slip = paths["/swagger0/thing0/{thingId}"]["get"]["responses"]["200"]
            slip["examples"] = {"application/json": {"count_0": 1}}
        return {"swagger": "2.0", "info": {"title": f"Swagger {index}", "version": "1"}, "basePath": "/_synth/v1", "consumes": ["application/json"], "produces": ["application/json"], "paths": paths}

    def openapi31_api(self, index, schemas):
        paths = {}
        for j in range(10):
            name, _, example = schemas[(index * 10 + j) % len(schemas)]
            ref = f"../{name}"
            example_file = f"../examples/{name.replace('.yaml', '.json')}"
            paths[f"/openapi{index}/item{j}/{{itemId}}"] = {
                "get": {
                    "operationId": f"getItem{index}x{j}",
                    "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}, "example": "i1"}],
                    "responses": {
                        "200": {
                            "description": "The item.",
                            "content": {"application/json": {"schema": {"$ref": ref}, "examples": {"from_file": {"value": {"$ref": example_file}}}}},
                        },
                        "429": {
                            "description": "Too many requests.",
                            "content": {
                                "application/json": {
                                    "schema": {"allOf": [{"$ref": "../definitions/error.yaml"}, {"type": "object", "properties": {"retry_after_ms": {"type": "integer"}}}]},
                                    "example": {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2000},
                                }
                            },
                        },
                    },
                },
                "post": {
                    "operationId": f"postItem{index}x{j}",
                    "parameters": [{"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": ref}, "example": {"$ref": example_file}}}},
                    "responses": {"204": {"description": "Stored."}},
                },
            }
        if index == 0:
            # An upstream-style slip: the example one level too deep. A warning, no test.
            media = paths["/openapi0/item0/{itemId}"]["get"]["responses"]["200"]["content"]["application/json"]
            media["examples"]["too_deep"] = {"value": {"item": {"$ref": f"../examples/{schemas[0][0].replace('.yaml', '.json')}"}}}
        return {"openapi": "3.1.0", "info": {"title": f"OpenAPI {index}", "version": "1"}, "servers": [{"url": "/_synth/v3"}], "paths": paths}

    def write(self):
        if self.out.exists():
            shutil.rmtree(self.out)
        dump(self.out / "definitions/error.yaml", ERROR)
        swagger_schemas = self.definitions("swagger", "definitions", 24)
        openapi_schemas = self.definitions("openapi31", "components", 24)
        swagger_files, openapi_files = [], []
        for i in range(self.files):
            swagger_files.append(f"swagger/api{i}.yaml")
            dump(self.out / swagger_files[-1], self.swagger_api(i, swagger_schemas))
            openapi_files.append(f"openapi31/api{i}.yaml")
            dump(self.out / openapi_files[-1], self.openapi31_api(i, openapi_schemas))
        specs = lambda files: "[" + ", ".join(json.dumps(f) for f in files) + "]"
        (self.out / "codegen.toml").write_text(
            "[package]\n"
            'name = "synth-tree"\n'
            'description = "A synthetic spec tree of Matrix\'s size and shape (tests/bench/synth_tree.py)."\n\n'
            '[[api]]\nname = "swagger"\ntitle = "Swagger 2.0 API"\n'
            f"specs = {specs(swagger_files)}\n\n"
            '[[api]]\nname = "openapi31"\ntitle = "OpenAPI 3.1 API"\n'
            f"specs = {specs(openapi_files)}\n\n"
            '[errors]\nschema = "definitions/error.yaml"\ntype_name = "SynthError"\n'
            'code_property = "errcode"\nmessage_property = "error"\n'
        )


def main():
    out = Path(sys.argv[1])
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    Tree(out, files).write()
    count = sum(1 for p in out.rglob("*") if p.is_file() and p.name != "codegen.toml")
    print(f"{out}: {count} files, {files * 2 * 20} operations")


if __name__ == "__main__":
    main()
