#!/usr/bin/env python3
"""Fresh clone to first result, with cold caches: what a new user waits for (prints figures and
ratios; not a test).

Each variant clones the committed HEAD of this checkout into a temporary directory, points
pip's and uv's caches at empty temporary folders (PIP_CACHE_DIR, UV_CACHE_DIR), and times

  venv        ./make_venv.py (creating __venv__ and installing daist and its dependencies)
  first run   ./run.py daist.test_target (stand-in start, login, results, report)
  load run    ./run.py daist.rest_api.test_locust.TestRO with a LOAD_S-second load

Variants, measured in the same invocation:
  uv + lock   the default: uv fetched by pip, installing requirements.lock
  pip         the reference: DAIST_NO_UV=1, pip resolving pyproject.toml (the old path)

    python3 benchmarks/first_result.py [--load-s 10] [--variants uv,pip]
Needs network access to PyPI (that is what it measures).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {"uv": {}, "pip": {"DAIST_NO_UV": "1"}}


def timed(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> float:
    started = time.monotonic()
    with open(log, "a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        status = subprocess.call(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}; see {log}")
    return time.monotonic() - started


def measure(variant: str, *, load_s: int, python: str) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix=f"daist-first-result-{variant}-"))
    try:
        clone = tmp / "daist"
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                       check=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DAIST_", "DET_", "VIRTUAL_ENV", "PYTHONPATH", "UV_"))}
        env.update({"PIP_CACHE_DIR": str(tmp / "pip-cache"), "UV_CACHE_DIR": str(tmp / "uv-cache"),
                    "DAIST_EXEC_OUTPUT": str(tmp / "results"), **VARIANTS[variant]})
        log = tmp / "benchmark.log"
        figures = {"venv": timed([python, "make_venv.py"], cwd=clone, env=env, log=log)}
        figures["first run"] = timed([python, "run.py", "daist.test_target"], cwd=clone, env=env,
                                     log=log)
        figures["load run"] = timed([python, "run.py", "daist.rest_api.test_locust.TestRO"],
                                    cwd=clone, env={**env, "DAIST_LOCUST_RUN_TIME": str(load_s)},
                                    log=log)
        figures["first result"] = figures["venv"] + figures["first run"]
        return figures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-s", type=int, default=10, help="load seconds of the TestRO run")
    parser.add_argument("--variants", default="uv,pip", help="comma-separated: uv, pip")
    parser.add_argument("--python", default=shutil.which("python3") or sys.executable,
                        help="the interpreter a new user has (default: python3 on PATH)")
    args = parser.parse_args()
    results = {}
    for variant in args.variants.split(","):
        print(f"measuring {variant} (cold caches, fresh clone)...", flush=True)
        results[variant] = measure(variant, load_s=args.load_s, python=args.python)
    rows = ["venv", "first run", "first result", "load run"]
    print(f"\n{'seconds':14}" + "".join(f"{v:>10}" for v in results)
          + ("   ratio pip/uv" if {"uv", "pip"} <= set(results) else ""))
    for row in rows:
        line = f"{row:14}" + "".join(f"{results[v][row]:10.1f}" for v in results)
        if {"uv", "pip"} <= set(results):
            line += f"   {results['pip'][row] / results['uv'][row]:13.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
