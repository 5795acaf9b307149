"""Indicators: pure functions over store tables, each returning a result with a chart."""
