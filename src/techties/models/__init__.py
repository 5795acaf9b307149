"""Estimation layer: a thin layer over pyfixest with the conventions of trade economics.

- :mod:`techties.models.gravity` — structural gravity (PPML/OLS), GE coefficient export;
- :mod:`techties.models.separation` — existence checks for PPML (separated observations);
- :mod:`techties.models.event_study` — tariff-wave event studies and trade diversion;
- :mod:`techties.models.incidence` — tariff incidence / pass-through;
- :mod:`techties.models.panels` — tidy panels from the store or the staged files;
- :mod:`techties.models.fit` — the shared pyfixest call and :class:`FitResult`;
- :mod:`techties.models.ppml_fast` — pyfixest's PPML with a warm-started IRLS loop (default);
- :mod:`techties.models.products` — product-by-product gravity on all cores.
"""
