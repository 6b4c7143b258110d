"""Schemathesis against the real server binary, for every spec, on every single-machine backend.

The server is fuzzed against the effective OpenAPI documents the generator exports
(`generator openapi`): the specs with the config's overlays applied, which is what the
generated router serves. Each API gets a real credential: a registered user's access token
for the client-server API, and an identity-server token obtained through the OpenID flow.

Usage: VENV/bin/python run.py --server BIN --openapi DIR --report DIR
Exit status 0 when every run passes and at least --min-cases cases ran in all.
"""

import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHECKS = ",".join(
    [
        "not_a_server_error",
        "response_schema_conformance",
        "content_type_conformance",
        "status_code_conformance",
    ]
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, body=None, token=None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


class Server:
    """One server process on fresh ports, with a user and both credentials."""

    def __init__(self, binary: str, database: str, workdir: Path):
        self.client = f"http://127.0.0.1:{free_port()}"
        self.identity = f"http://127.0.0.1:{free_port()}"
        self.log = open(workdir / "server.log", "w")
        self.process = subprocess.Popen(
            [
                binary,
                "serve",
                "--db",
                database,
                # Thousands of requests a minute from one address are the point here.
                "--no-rate-limit",
                "--client-listen",
                self.client.removeprefix("http://"),
                "--identity-listen",
                self.identity.removeprefix("http://"),
                "--outbox",
                str(workdir / "outbox"),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_up()
        registered = call(
            "POST",
            f"{self.client}/_matrix/client/v3/register",
            {
                "username": "fuzzer",
                "password": "correct horse battery staple",
                "auth": {"type": "m.login.dummy"},
            },
        )
        self.client_token = registered["access_token"]
        user = urllib.parse.quote(registered["user_id"], safe="")
        openid = call(
            "POST",
            f"{self.client}/_matrix/client/v3/user/{user}/openid/request_token",
            {},
            self.client_token,
        )
        self.identity_token = call(
            "POST", f"{self.identity}/_matrix/identity/v2/account/register", openid
        )["token"]

    def wait_until_up(self):
        for _ in range(400):
            if self.process.poll() is not None:
                sys.exit(f"the server exited with {self.process.returncode}")
            try:
                call("GET", f"{self.client}/_matrix/client/versions")
                return
            except OSError:
                time.sleep(0.05)
        sys.exit("the server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def base_paths(document: dict) -> list[str]:
    """Every base path the document's first server URL stands for, variables expanded."""
    servers = document.get("servers") or [{"url": "/"}]
    paths = [servers[0]["url"]]
    for name, variable in (servers[0].get("variables") or {}).items():
        values = variable.get("enum") or [variable["default"]]
        paths = [p.replace("{" + name + "}", v) for p in paths for v in values]
    return [p.rstrip("/") for p in paths]


def run_one(args, spec: Path, url: str, token: str, report: Path) -> tuple[int, bool, str]:
    report.parent.mkdir(parents=True, exist_ok=True)
    command = [
        args.python,
        "-m",
        "schemathesis.cli",
        "run",
        str(spec),
        "--url",
        url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--seed",
        str(args.seed),
        "--max-examples",
        str(args.max_examples),
        # One worker: with two, Python 3.11.7's `ast` module (which Hypothesis uses to
        # describe lambdas) races on its shared recursion counter and fails with a spurious
        # "AST constructor recursion depth mismatch" (CPython gh-106905).
        "--workers",
        "1",
        "--no-color",
        "--report",
        "junit,ndjson",
        "--report-junit-path",
        str(report.with_suffix(".xml")),
        "--report-ndjson-path",
        str(report.with_suffix(".ndjson")),
    ]
    # Run where schemathesis' crash cache (`.schemathesis/`) starts empty every time: a
    # failure replayed from an earlier run would make the run depend on its history.
    with tempfile.TemporaryDirectory() as scratch:
        result = subprocess.run(command, capture_output=True, text=True, cwd=scratch)
    output = result.stdout + result.stderr
    report.with_suffix(".txt").write_text(output)
    generated = re.search(r"(\d+) generated", output)
    return (int(generated.group(1)) if generated else 0), result.returncode == 0, output


BACKENDS = ["memory", "sqlite"]
# One server starts at a time: `free_port` releases the port it found, and the server binds
# it only later.
STARTING = threading.Lock()


def fuzz_backend(args, specs: list[Path], backend: str, tmp: Path) -> tuple[list, list]:
    """Every spec and base path against one server of `backend`: the rows and the failed runs."""
    rows, failed = [], []
    workdir = tmp / backend
    workdir.mkdir()
    database = "memory" if backend == "memory" else f"sqlite:{workdir / 'server.db'}"
    with STARTING:
        server = Server(args.server, database, workdir)
    try:
        for spec in specs:
            relative = spec.relative_to(args.openapi)
            document = json.loads(spec.read_text())
            is_identity = relative.parts[1] == "identity"
            origin = server.identity if is_identity else server.client
            token = server.identity_token if is_identity else server.client_token
            for base in base_paths(document):
                name = f"{backend}/{relative.with_suffix('')}{base.replace('/', '_')}"
                cases, ok, output = run_one(args, spec, origin + base, token, args.report / name)
                rows.append((backend, str(relative), base, cases, ok))
                print(f"{'ok  ' if ok else 'FAIL'} {cases:6} cases  {backend:6}  {relative}  {base}", flush=True)
                if not ok:
                    failed.append(name)
                    print(output, file=sys.stderr, flush=True)
    finally:
        server.stop()
        (args.report / f"server-{backend}.log").write_text((workdir / "server.log").read_text())
    return rows, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True)
    parser.add_argument("--python", default=sys.executable, help="a Python with schemathesis installed")
    parser.add_argument("--openapi", required=True, type=Path)
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--min-cases", type=int, default=10_000)
    args = parser.parse_args()
    args.openapi = args.openapi.resolve()
    args.report = args.report.resolve()
    specs = sorted(args.openapi.rglob("*.json"))
    if not specs:
        sys.exit(f"no exported specs under {args.openapi}")
    args.report.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    # The backends are fuzzed at once, each with its own server: schemathesis (one Python
    # process a run) is what takes the time, and the machine has a core for each.
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda backend: fuzz_backend(args, specs, backend, Path(tmp)), BACKENDS))
    rows = [row for backend_rows, _ in results for row in backend_rows]
    failed = [name for _, backend_failed in results for name in backend_failed]
    total = sum(cases for _, _, _, cases, _ in rows)

    elapsed = time.monotonic() - started
    summary = [
        "# Schemathesis against server-stub",
        "",
        f"schemathesis run --seed {args.seed} --max-examples {args.max_examples} --checks {CHECKS}",
        "",
        "| backend | spec | base path | cases | result |",
        "|---|---|---|---:|---|",
        *(f"| {b} | {s} | {p} | {c} | {'passed' if ok else 'FAILED'} |" for b, s, p, c, ok in rows),
        "",
        f"{total} cases in {len(rows)} runs, {len(failed)} failed runs, {elapsed:.0f} s.",
        "",
    ]
    (args.report / "summary.md").write_text("\n".join(summary))
    print(summary[-2])
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    if total < args.min_cases:
        print(f"only {total} cases ran; at least {args.min_cases} are required", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
