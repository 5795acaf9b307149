"""The techties web dashboard: the verdicts of a store, browsable in a local web page.

Presentation only (like :mod:`techties.report`, whose claim section it reuses): every number
comes from a :class:`techties.claims.Verdict`. ``Dashboard`` is a WSGI application; ``techties
serve`` runs it on a local port.
"""

from techties.web.app import Dashboard

__all__ = ["Dashboard"]
