"""``techties serve`` in a child process on a free loopback port, returned once it answers: the
one way the load benchmark and the server tests start a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from techties.errors import TechtiesError

#: the page a started server must answer 200 on before it counts as up
READY_PATH = "/claims.json"
#: each started server's output file, by process id
_LOGS: dict[int, IO[bytes]] = {}


class ServerStartError(TechtiesError):
    """``techties serve`` exited, or did not answer in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    store: str | Path,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``techties serve --store STORE`` on a free port; return the process and its URL
    once ``GET /claims.json`` answers 200. The child's output goes to a temporary file (a pipe
    nobody reads could fill and stall the server), quoted if it exits."""
    import httpx

    port = free_port()
    base = dict(os.environ if env is None else env)
    src = str(Path(__file__).resolve().parents[2])  # this checkout's src/ (or site-packages)
    base["PYTHONPATH"] = src + os.pathsep + base.get("PYTHONPATH", "")
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop_server)
    proc = subprocess.Popen(
        [sys.executable, "-m", "techties.cli.main", "serve", "--store", str(store),
         "--port", str(port), "--workers", str(workers)],
        env=base, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    _LOGS[proc.pid] = log
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = _output(proc)
            stop_server(proc)
            raise ServerStartError(
                f"techties serve --store {store} exited with code {proc.returncode}: "
                f"{out.strip()[-2000:]}",
                hint="Build the store first (techties report --data DIR) or read the output.",
            )
        try:
            if httpx.get(url + READY_PATH, timeout=60).status_code == 200:  # a busy machine
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    stop_server(proc)
    raise ServerStartError(
        f"techties serve --store {store} did not answer {READY_PATH} within {timeout:g} s.",
        hint="A full store takes 25–60 s to check its claims; pass a longer timeout.",
    )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server from :func:`start_server` and its uvicorn workers (its own process group:
    SIGTERM, then SIGKILL after 20 s), so no worker outlives it."""
    import contextlib
    import signal

    def signal_group(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(proc.pid, sig)  # the group start_new_session made, led by the server

    signal_group(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        signal_group(signal.SIGKILL)
        proc.wait()
    signal_group(signal.SIGKILL)  # a worker the server left behind
    log = _LOGS.pop(proc.pid, None)
    if log is not None:
        log.close()


def _output(proc: subprocess.Popen[bytes]) -> str:
    log = _LOGS.get(proc.pid)
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")
