#!/usr/bin/env python3
"""Whole-process time and peak memory of `generator generate`, on the vendored specs, the
generality corpus, the synthetic Matrix-sized tree (synth_tree.py) and the real Matrix
releases of ../shared/matrix-spec (tests/spec-trees), for one or more
generator binaries run in turn (so a before and an after see the same host noise).

Each binary generates each spec set RUNS times after one warm-up run; the table gives the
median wall time (min-max) as Python's `subprocess` sees it, and the median peak RSS that
`/usr/bin/time` reports. Run it on a quiet host: a concurrent build doubles the times.

Usage: generate_time.py [BINARY ...]   (default: target/release/generator, built first)
Environment: RUNS (default 15).  Not run by CI (it measures; it does not check)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("RUNS", "15"))


def run_once(binary, config, out):
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", binary, "generate", "--config", config, "--out", out],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{binary} failed on {config}:\n{done.stderr}")
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return elapsed * 1000, peak_kb / 1024


def main():
    binaries = sys.argv[1:]
    if not binaries:
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "generator"], cwd=ROOT, check=True)
        binaries = [str(ROOT / "target/release/generator")]
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        subprocess.run(
            [sys.executable, str(ROOT / "tests/bench/synth_tree.py"), str(work / "synth")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        spec_sets = [
            ("specs/", ROOT / "specs/codegen.toml"),
            ("corpus", ROOT / "tests/fixtures/corpus/codegen.toml"),
            ("synthetic tree", work / "synth/codegen.toml"),
        ]
        # The real Matrix releases, where ../shared has them.
        for release in ("v1.16", "v1.7"):
            config = ROOT / f"tests/spec-trees/{release}/codegen.toml"
            if (ROOT.parent / "shared/matrix-spec" / release).is_dir():
                spec_sets.append((f"Matrix {release}", config))
        print("| spec set | " + " | ".join(f"`{b}`" for b in binaries) + " |")
        print("| --- |" + " --- |" * len(binaries))
        for label, config in spec_sets:
            times = {b: [] for b in binaries}
            peaks = {b: [] for b in binaries}
            for run in range(RUNS + 1):
                # In turn, so that every binary sees the same noise.
                for index, binary in enumerate(binaries):
                    elapsed, peak = run_once(binary, config, work / f"out{index}")
                    if run > 0:
                        times[binary].append(elapsed)
                        peaks[binary].append(peak)
            cells = [
                f"{statistics.median(times[b]):.1f} ms ({min(times[b]):.1f}-{max(times[b]):.1f}),"
                f" {statistics.median(peaks[b]):.1f} MB"
                for b in binaries
            ]
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
