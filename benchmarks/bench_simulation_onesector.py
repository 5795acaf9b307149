"""Benchmark: techties one-sector GE engine vs gegravity 0.3 (USITC) on the same synthetic inputs.

Run:  .venv/bin/python benchmarks/bench_simulation_onesector.py [--sizes 30 70 150] [--draws 1000]

gegravity is the optional ``bench`` extra (``.venv/bin/pip install gegravity``). Both engines get
the same long gravity frame (exporter, importer, year, trade, Y, E, lndist, pta, international),
the same cost coefficients (the gegravity example's PPML estimates), σ = 5, the same reference
importer and the same experiment (a preferential trade agreement among the ten largest
economies). Both build the model-implied baseline from Y, E and the trade costs (techties:
``baseline="fitted"``), then solve the conditional and the full-endowment counterfactual.

Printed per size: seconds per solve (techties end to end from the frame, techties array solve,
gegravity build_baseline + simulate), the speed ratio, and the distance between the two answers
in real GDP (``Y/P``, percent change; both report the Advanced Guide definition). gegravity's
full GE keeps baseline output shares in its multilateral-resistance equations, so its answer
drifts from the exact equilibrium as shocks grow. Then a Monte Carlo of ``--draws`` draws of the
coefficients at the largest size, with both cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

from techties.simulation import draw_onesector, solve_from_gravity, solve_onesector

SIGMA = 5.0
#: gegravity examples/examples_OneSectorGE.py estimates on its sample data (catalog 8.8)
COEF = {"lndist": -0.3898623, "pta": 0.4711383, "international": -3.412584}
VCOV = np.diag([0.0729915, 0.1076578, 0.2151235]) ** 2


def synthetic_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """A gravity frame for ``n`` countries (millions of USD, domestic flows included)."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(11.0, 1.6, n)
    lat, lon = rng.uniform(-50, 60, n), rng.uniform(-180, 180, n)
    km = 111.0 * np.hypot(lat[:, None] - lat[None, :], lon[:, None] - lon[None, :])
    lndist = np.log(np.where(np.eye(n, dtype=bool), 50.0 + 0 * km, km + 100.0))
    pta = (rng.random((n, n)) < 0.15).astype(float)
    pta = np.triu(pta, 1) + np.triu(pta, 1).T
    intl = 1.0 - np.eye(n)
    cost = np.exp(COEF["lndist"] * lndist + COEF["pta"] * pta + COEF["international"] * intl)
    trade = np.outer(size, size) / size.sum() * cost * rng.lognormal(0, 0.5, (n, n)) * 8.0
    names = [f"C{i:03d}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "exporter": np.repeat(names, n),
            "importer": np.tile(names, n),
            "year": "2006",
            "trade": trade.ravel(),
            "lndist": lndist.ravel(),
            "pta": pta.ravel(),
            "international": intl.ravel(),
        }
    )
    frame["Y"] = frame.groupby("exporter")["trade"].transform("sum")
    frame["E"] = frame.groupby("importer")["trade"].transform("sum")
    return frame


def experiment(frame: pd.DataFrame) -> pd.DataFrame:
    """A PTA among the ten largest economies (by output)."""
    big = frame.groupby("exporter")["Y"].first().nlargest(10).index
    out = frame.copy()
    bloc = out.exporter.isin(big) & out.importer.isin(big) & (out.exporter != out.importer)
    out.loc[bloc, "pta"] = 1.0
    return out


def reference(frame: pd.DataFrame) -> str:
    return str(frame.groupby("exporter")["Y"].first().idxmax())


def run_techties(frame: pd.DataFrame, repeats: int) -> tuple[pd.Series, float, float]:
    exp = experiment(frame)
    ref = reference(frame)
    kwargs = {"sigma": SIGMA, "baseline": "fitted", "reference": ref}
    res = solve_from_gravity(frame, COEF, {"pta": exp["pta"].to_numpy()}, **kwargs)
    end_to_end = []
    for _ in range(repeats):
        t = time.perf_counter()
        solve_from_gravity(frame, COEF, {"pta": exp["pta"].to_numpy()}, **kwargs)
        end_to_end.append(time.perf_counter() - t)
    x, chat = res.baseline, np.exp(COEF["pta"] * (_wide(exp, "pta") - _wide(frame, "pta")))
    arrays = []
    for _ in range(repeats):
        t = time.perf_counter()
        solve_onesector(x, chat, sigma=SIGMA, reference=res.countries.index(ref))
        arrays.append(time.perf_counter() - t)
    gdp = res.tidy().set_index("country")["real_gdp_pct"]
    return gdp, statistics.median(end_to_end), statistics.median(arrays)


def _wide(frame: pd.DataFrame, col: str) -> np.ndarray:
    return frame.pivot(index="exporter", columns="importer", values=col).to_numpy(dtype=float)


def run_gegravity(
    frame: pd.DataFrame,
    coef: dict[str, float] = COEF,
    sigma: float = SIGMA,
    exp_frame: pd.DataFrame | None = None,
    ref: str | None = None,
) -> tuple[pd.Series | None, float, str]:
    try:
        import gegravity as ge
    except ImportError as err:
        return None, float("nan"), f"gegravity not installed ({err}); pip install gegravity"
    notes = []
    for rescale in (1, 10, 100, 1000):
        t = time.perf_counter()
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(
                io.StringIO()
            ):
                warnings.simplefilter("always")
                base = ge.BaselineData(frame, imp_var_name="importer", exp_var_name="exporter",
                                       year_var_name="year", trade_var_name="trade",
                                       expend_var_name="E", output_var_name="Y")
                coeffs = ge.CostCoeffs(
                    estimates=pd.DataFrame({"var": list(coef), "coeff": list(coef.values())}),
                    identifier_col="var", coeff_col="coeff",
                )
                model = ge.OneSectorGE(base, year="2006", reference_importer=ref or reference(frame),
                                       sigma=sigma, cost_variables=list(coef),
                                       cost_coeff_values=coeffs, quiet=True)
                model.build_baseline(omr_rescale=rescale)
                model.define_experiment(experiment(frame) if exp_frame is None else exp_frame)
                model.simulate()
            seconds = time.perf_counter() - t
        except Exception as err:  # gegravity raises bare exceptions on solver failure
            notes.append(f"omr_rescale={rescale}: {type(err).__name__}: {str(err)[:80]}")
            continue
        failed = {k: str(v.message) for k, v in model.solver_diagnostics.items() if not v.success}
        if failed:
            notes.append(f"omr_rescale={rescale}: not converged {failed}")
            continue
        del caught
        gdp = model.country_results["GDP change (percent)"]
        notes.append(f"converged with omr_rescale={rescale}")
        return gdp, seconds, "; ".join(notes)
    return None, float("nan"), "; ".join(notes)


def monte_carlo(frame: pd.DataFrame, n_draws: int, workers: int) -> tuple[float, float]:
    exp = experiment(frame)
    res = solve_from_gravity(frame, COEF, {"pta": exp["pta"].to_numpy()}, sigma=SIGMA,
                             baseline="fitted", reference=reference(frame))
    dx = {"pta": _wide(exp, "pta") - _wide(frame, "pta")}
    coef = {"terms": list(COEF), "estimate": list(COEF.values()), "vcov": VCOV.tolist()}
    t, cpu = time.perf_counter(), time.process_time()
    draws = draw_onesector(res.baseline, dx, coef, n_draws=n_draws, sigma=(4.0, 6.0), seed=1,
                           workers=workers, reference=reference(frame),
                           countries=res.countries)
    wall = time.perf_counter() - t
    print(f"  {draws.summary()}")
    return wall, time.process_time() - cpu


def agtpa_borders(path: str) -> None:
    """Advanced Guide trade without borders: techties and gegravity vs the published results."""
    coef = {"ln_DIST": -0.7912879, "CNTG": 0.6736456, "INTL_BRDR": -2.47445}
    d = pd.read_stata(f"{path}/trade-agtpa/1_TradeWithoutBorder.dta")
    d = d.replace({"exporter": {"ZZZ": "DEU"}, "importer": {"ZZZ": "DEU"}})
    d = d[["exporter", "importer", "trade", "Y", "E", *coef]].assign(year="2006")
    book = pd.read_excel(f"{path}/trade-agtpa/results/1_TradeWithoutBorder_FULL.xls",
                         engine="openpyxl").set_index("country")["change_rGDP_FULL"]
    t = time.perf_counter()
    ours = solve_from_gravity(d, coef, {"INTL_BRDR": 0}, sigma=7, baseline="fitted",
                              reference="DEU").tidy().set_index("country")["real_gdp_pct"]
    print(f"AGTPA trade without borders (69 countries, σ = 7): techties "
          f"{(time.perf_counter() - t) * 1e3:.0f} ms; |techties − book| real GDP median "
          f"{(ours - book).abs().median():.3f} pp, max {(ours - book).abs().max():.3f} pp")
    theirs, seconds, note = run_gegravity(d, coef, 7.0, d.assign(INTL_BRDR=0.0), "DEU")
    if theirs is None:
        print(f"  gegravity failed: {note}")
        return
    gap = (theirs.reindex(book.index) - book).abs()
    print(f"  gegravity {seconds:.1f} s ({note}); |gegravity − book| median {gap.median():.2f} pp, "
          f"max {gap.max():.2f} pp ({gap.idxmax()}: {theirs[gap.idxmax()]:.2f} % vs "
          f"{book[gap.idxmax()]:.2f} %)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[30, 70, 150])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--no-gegravity", action="store_true")
    ap.add_argument("--agtpa", metavar="DATA", help="also run the Advanced Guide border removal "
                    "(path of the shared data folder)")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    for n in args.sizes:
        frame = synthetic_frame(n)
        ours, t_frame, t_array = run_techties(frame, args.repeats)
        print(f"N = {n}: techties {t_frame * 1e3:.1f} ms per solve from the frame "
              f"({t_array * 1e3:.2f} ms array solve, CDL + FULL, median of {args.repeats})")
        if args.no_gegravity:
            continue
        theirs, t_ge, note = run_gegravity(frame)
        if theirs is None:
            print(f"  gegravity failed: {note}")
            continue
        diff = (ours - theirs.reindex(ours.index)).abs()
        print(f"  gegravity {t_ge:.2f} s per solve ({note}); ratio {t_ge / t_frame:,.0f}× "
              f"(frame) / {t_ge / t_array:,.0f}× (array)")
        print(f"  real GDP change: median |techties − gegravity| {diff.median():.4f} pp, max "
              f"{diff.max():.4f} pp ({diff.idxmax()}); techties range "
              f"{ours.min():.3f} … {ours.max():.3f} %")
    if args.agtpa:
        agtpa_borders(args.agtpa)
    n = max(args.sizes)
    for workers in (1, 2):
        wall, cpu = monte_carlo(synthetic_frame(n), args.draws, workers)
        print(f"Monte Carlo N = {n}: {args.draws} draws (coefficients + σ ~ U[4, 6]) with "
              f"{workers} worker(s): {wall:.2f} s wall ({cpu:.2f} s CPU in this process)")


if __name__ == "__main__":
    main()
