"""The explorer's routes, one module per page family; :data:`ROUTES` lists them all."""

from __future__ import annotations

from starlette.routing import BaseRoute

from techties.web.routes import claims, entities, indicators, scenarios, sources, tariffs

ROUTES: list[BaseRoute] = [
    *claims.ROUTES,
    *indicators.ROUTES,
    *tariffs.ROUTES,
    *entities.ROUTES,
    *scenarios.ROUTES,
    *sources.ROUTES,
]
