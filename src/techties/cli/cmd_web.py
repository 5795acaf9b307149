"""``techties serve``: the web dashboard of a store on a local port.

techties report --data ../shared/data --out report    # builds the store once
techties serve                                         # http://127.0.0.1:8765/
"""

from __future__ import annotations

from typing import Annotated

import typer

from techties.cli.app import StoreOpt, app, open_store_cli
from techties.cli.cmd_report import NO_DATA_HINT, store_has_data
from techties.cli.output import console
from techties.errors import ConfigError


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8765,
) -> None:
    """Browse the verdicts, evidence and sources of the store in a web page (Ctrl-C stops)."""
    from wsgiref.simple_server import make_server

    from techties.web import Dashboard
    from techties.web.app import QuietHandler

    with open_store_cli(store, read_only=True) as st:
        if not store_has_data(st):
            raise ConfigError(
                f"The store {st.path} holds no data to check claims with.",
                hint="Build it first with `techties report --data DIR`. " + NO_DATA_HINT,
            )
        dashboard = Dashboard(st)
        with console.status("checking claims", spinner="dots"):
            dashboard.verdicts()  # before the first visitor, not during their request
        try:
            server = make_server(host, port, dashboard, handler_class=QuietHandler)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror}.",
                hint="Pass another --port (or --port 0 for any free one).",
            ) from exc
        url = f"http://{host}:{server.server_port}/"
        console.print(f"techties dashboard on {url} (store {st.path}); Ctrl-C stops.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.print("stopped")
        finally:
            server.server_close()
