#!/usr/bin/env python3
"""Makes a synthetic spec set N times the size of specs/: N copies of the spec tree, each
copy its own pair of APIs, so operations, files and generated modules all grow N-fold.

Usage: synth_specs.py N OUT_DIR   (then generate with OUT_DIR/codegen.toml)"""
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "specs"


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + " }"


def table(name, values):
    lines = [f"[{name}]"]
    lines += [f'"{k}" = {toml_value(v)}' for k, v in values.items() if not isinstance(v, dict)]
    for k, v in values.items():
        if isinstance(v, dict):
            lines.append(f"[{name}.{k}]")
            lines += [f'"{kk}" = {toml_value(vv)}' for kk, vv in v.items()]
    return "\n".join(lines)


def main():
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    config = tomllib.loads((ROOT / "codegen.toml").read_text())
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    parts = [table("package", config["package"])]
    for name, variable in config["base_path_variables"].items():
        parts.append(table(f"base_path_variables.{name}", variable))
    prefix = lambda k, path: f"copy{k}/{path}"
    for k in range(n):
        shutil.copytree(ROOT / "api", out / f"copy{k}" / "api")
        shutil.copytree(ROOT / "schemas", out / f"copy{k}" / "schemas")
        for api in config["api"]:
            lines = ["[[api]]", f'name = "{api["name"]}_{k}"', f'title = {toml_value(api["title"] + f" (copy {k})")}',
                     f"specs = {toml_value([prefix(k, s) for s in api['specs']])}"]
            if api.get("operation_ids"):
                lines.append(table("api.operation_ids", api["operation_ids"]))
            parts.append("\n".join(lines))
        for overlay in config["overlay"]:
            parts.append("\n".join(["[[overlay]]", f'file = "{prefix(k, overlay["file"])}"', f'pointer = {toml_value(overlay["pointer"])}',
                                    f'reason = {toml_value(overlay["reason"])}', f'merge = {toml_value(overlay["merge"])}']))
    parts.append(table("type_names", {prefix(0, key): name for key, name in config["type_names"].items()}))
    errors = dict(config["errors"])
    errors["schema"] = prefix(0, errors["schema"])
    parts.append(table("errors", errors))
    parts.append(table("router", config["router"]))
    (out / "codegen.toml").write_text("\n\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
