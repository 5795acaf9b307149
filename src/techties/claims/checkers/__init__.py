"""Built-in checkers (importing this package registers them in ``techties.claims.base.CHECKERS``)."""

from techties.claims.checkers import (  # noqa: F401
    chips,
    controls,
    ge,
    science,
    sourcing,
    statements,
    tariffs,
    trade,
)
