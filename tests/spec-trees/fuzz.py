"""Schemathesis against the routers of a real spec tree's crate, hostile input and all.

The crate's round-trip test carries a scripted implementation of every API (each method
answers its operation's first documented response, of sample values, when nothing is
scripted); its ignored test `serve_for_fuzzing` serves them on loopback, one port per API.
Every operation of every exported spec (`generator openapi`) is fuzzed there with the
checks that are the router's own business: no server error (no 500, no panic), and every
status one the operation documents or the router answers by itself.

Usage: VENV/bin/python fuzz.py --crate DIR --openapi DIR --report DIR --apis A,B,...
(`--apis`: the API folders under `api/`, in the config's order of `[[api]]`).
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "schemathesis"))
import run as schemathesis_run  # noqa: E402  (the runner of tests/schemathesis, shared)

schemathesis_run.CHECKS = "not_a_server_error,status_code_conformance"


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on loopback."""
    for first in range(18600, 19600, count):
        try:
            sockets = []
            for port in range(first, first + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise SystemExit("no free ports")


def wait_until_up(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 600  # the first run builds the test
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the scripted servers exited:\n{log.read_text()[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the scripted servers did not start")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crate", required=True, type=Path)
    parser.add_argument("--openapi", required=True, type=Path)
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--apis", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--max-examples", type=int, default=10)
    args = parser.parse_args()
    apis = args.apis.split(",")
    args.report.mkdir(parents=True, exist_ok=True)
    first = free_ports(len(apis))
    log = args.report / "servers.log"
    server = subprocess.Popen(
        ["cargo", "test", "-q", "--features", "reqwest", "--test", "round_trip", "--",
         "--ignored", "--exact", "serve_for_fuzzing"],
        cwd=args.crate,
        env={**os.environ, "SCRIPTED_SERVERS_PORT": str(first)},
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
        # Its own process group: ending it ends the test binary cargo started too.
        start_new_session=True,
    )
    runs = []
    for spec in sorted(args.openapi.rglob("*.json")):
        relative = spec.relative_to(args.openapi)
        port = first + apis.index(relative.parts[1])
        for base in schemathesis_run.base_paths(json.loads(spec.read_text())):
            runs.append((spec, relative, base, port))

    def fuzz(run):
        spec, relative, base, port = run
        name = f"{relative.with_suffix('')}{base.replace('/', '_')}"
        url = f"http://127.0.0.1:{port}{base}"
        count, ok, output = schemathesis_run.run_one(args, spec, url, "fuzzing-token", args.report / name)
        print(f"{'ok  ' if ok else 'FAIL'} {count:5} cases  {relative}  {base}", flush=True)
        if not ok:
            print(output[-6000:], file=sys.stderr, flush=True)
        return count, ok

    try:
        for offset in range(len(apis)):
            wait_until_up(first + offset, server, log)
        # Two schemathesis processes at once: each spends most of its time starting.
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(fuzz, runs))
    finally:
        # The servers may have exited already (the failure being reported): nothing to end.
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        server.wait()
    cases = sum(count for count, _ in results)
    failed = sum(1 for _, ok in results if not ok)
    print(f"{cases} cases in {len(runs)} runs; {failed} failed")
    return 1 if failed or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
