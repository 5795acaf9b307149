"""Start-up of the command line: import time of ``techties --help`` and of ``techties claims`` on
a checked store, beside a script's ``import pandas`` measured in the same run.

Target: under 0.3 s of import time for both commands. Import time is the sum of the top-level
entries Python's ``-X importtime`` prints (every module the command loads, including the ones
a bare interpreter loads at start-up); the best of ``--repeats`` fresh processes is kept, since
a shared machine only ever adds time. The wall time of the whole command is printed beside it.
Peer: ``python -c "import pandas"`` — what any pandas script pays before its first line.

``techties claims`` is measured on a store whose claims were checked once (its verdicts and
their listing kept): with ``--store PATH`` a built store (``techties report --data DIR``; it is
read and its listing kept if it is not yet), else a new empty store in a temporary folder (every
claim unverifiable; the listing is as long).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_cli.py [--store PATH] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 0.3


def import_seconds(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(import time, wall time) of one fresh ``python -X importtime ARGS`` process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    top = re.findall(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", proc.stderr, re.M)
    return sum(int(us) for us, _ in top) / 1e6, wall


def best(args: list[str], env: dict[str, str], repeats: int) -> tuple[float, float]:
    runs = [import_seconds(args, env) for _ in range(repeats)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--store", type=Path, default=None, help="a built store (default: a new one)")
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="techties-bench-cli-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "TECHTIES_DATA"}
        store = a.store or Path(tmp) / "empty.duckdb"
        env |= {"TECHTIES_STORE": str(store), "TECHTIES_CACHE": os.environ.get(
            "TECHTIES_CACHE", str(Path(tmp) / "cache"))}  # fmt: skip
        cli = ["-m", "techties.cli.main"]
        first = subprocess.run([sys.executable, *cli, "claims"], env=env, capture_output=True,
                               text=True, check=False)  # fmt: skip
        if first.returncode != 0:
            raise SystemExit(f"techties claims failed:\n{first.stderr[-2000:]}")
        print(f"store: {store} ({'given' if a.store else 'new, empty'}); best of {a.repeats}")
        peer_imp, peer_wall = best(["-c", "import pandas"], env, a.repeats)
        print(f"peer: python -c 'import pandas'  import {peer_imp:.3f} s  wall {peer_wall:.3f} s")
        for label, args in (("techties --help", ["--help"]), ("techties claims", ["claims"])):
            imp, wall = best([*cli, *args], env, a.repeats)
            ok = "yes" if imp < TARGET else "NO"
            print(f"CLI {label}: import {imp:.3f} s  wall {wall:.3f} s  "
                  f"import / peer {imp / peer_imp:.2f}  target < {TARGET} s: {ok}")  # fmt: skip


if __name__ == "__main__":
    main()
