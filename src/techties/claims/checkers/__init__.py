"""Built-in checkers (importing this package registers them in ``techties.claims.base.CHECKERS``)."""

from techties.claims.checkers import controls, ge, science, sourcing, tariffs, trade  # noqa: F401
