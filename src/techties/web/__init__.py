"""The techties web explorer: claims, indicators, tariffs, entities, scenarios and sources of a
store, in the browser.

Presentation only (like :mod:`techties.report`, whose claim section it reuses): every number
comes from the same objects as the CLI's ``--json``. :func:`create_app` builds the Starlette
application over an :class:`Explorer`; ``techties serve`` runs it with uvicorn.
"""

from techties.web.app import create_app
from techties.web.state import Explorer

__all__ = ["Explorer", "create_app"]
