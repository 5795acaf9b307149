"""Indicators: pure functions over store tables, each returning a result with a chart.

Importing the package registers every indicator (:mod:`techties.indicators.registry`).
"""

from techties.indicators import (  # noqa: F401 - each module registers its indicators
    concentration,
    decoupling,
    exposure,
    rerouting,
    science,
    shares,
)
from techties.indicators.registry import (
    Indicator,
    Param,
    get_indicator,
    indicators,
    register_indicator,
)

__all__ = ["Indicator", "Param", "get_indicator", "indicators", "register_indicator"]
