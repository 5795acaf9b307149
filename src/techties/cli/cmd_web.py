"""``techties serve``: the web explorer of a store on a local port (uvicorn, ASGI).

techties report --data ../shared/data --out report    # builds the store once
techties serve                                         # http://127.0.0.1:8765/
"""

from __future__ import annotations

from typing import Annotated

import typer

from techties.cli.app import WORKERS_HELP, StoreOpt, app, open_store_cli
from techties.cli.cmd_report import NO_DATA_HINT, store_has_data
from techties.cli.output import console
from techties.errors import ConfigError


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8765,
    workers: Annotated[int, typer.Option("--workers", help=WORKERS_HELP)] = 1,
) -> None:
    """Browse claims, indicators, tariffs, entity lists, scenarios and sources of the store in a
    web page (Ctrl-C stops). The store is opened read-only: other commands can use it meanwhile."""
    import os
    import pickle
    import socket
    import tempfile
    import time

    import uvicorn

    from techties.claims import check_all

    if not 1 <= workers <= 16:
        raise ConfigError(f"--workers {workers} is out of range.", hint="Use 1 to 16.")
    with socket.socket() as probe:
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror}.", hint="Pass another --port."
            ) from exc
    with open_store_cli(store, read_only=True) as st:
        if not store_has_data(st):
            raise ConfigError(
                f"The store {st.path} holds no data to check claims with.",
                hint="Build it first with `techties report --data DIR`. " + NO_DATA_HINT,
            )
        path = st.path
        start = time.perf_counter()
        with console.status("checking claims", spinner="dots"):
            verdicts = check_all(st)  # once, before the first visitor and for every worker
        took = time.perf_counter() - start
    with tempfile.NamedTemporaryFile(
        prefix="techties-verdicts-", suffix=".pickle", delete=False
    ) as fh:
        pickle.dump(verdicts, fh)
    os.environ.update(TECHTIES_STORE=str(path), TECHTIES_WEB_VERDICTS=fh.name)
    console.print(
        f"techties explorer on http://{host}:{port}/ (store {path}, {len(verdicts)} claims "
        f"checked in {took:.1f} s, {workers} worker(s)); Ctrl-C stops.",
        highlight=False,
    )
    try:
        uvicorn.run(
            "techties.web.app:from_env", factory=True, host=host, port=port, workers=workers,
            log_level="warning", timeout_keep_alive=5,
        )  # fmt: skip
    finally:
        os.unlink(fh.name)
