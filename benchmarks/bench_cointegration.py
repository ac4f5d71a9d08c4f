"""Benchmark and evidence for batched Engle-Granger cointegration (issue: pair selection at scale).

Run from the repository root with the project's virtualenv:

    .venv/bin/python benchmarks/bench_cointegration.py                 # 200 walks, 19,900 pairs
    .venv/bin/python benchmarks/bench_cointegration.py --series 1000   # 499,500 pairs, peak memory

Sections (each prints its own lines):
1. speed: ``coint_batch`` (statsmodels defaults: trend "c", autolag "aic", maxlag None -> 27 at
   2,520 obs) on every pair of ``--series`` independent random walks, against a loop of
   ``statsmodels.tsa.stattools.coint`` (BLAS on one thread) over a random sample of the same
   pairs, in the same run;
   parity on the sample; pairs/s of both and the ratio. At more than 200 series the pairs are
   tested through ``coint_pairs`` (same kernel, no (T, P) copies: ``coint_batch``'s own inputs
   would be 2 x 10 GB at 1,000 series) and the peak resident memory is printed.
2. bundled: the 20 bundled S&P 500 stocks, last 2,520 days, log prices, maxlag=1, autolag None,
   both regression directions (380 tests): count of p < 0.05 and the top pairs, engine vs loop.
3. planted: synthetic random walks with planted cointegrated pairs; recall and false-discovery
   share of ``select_pairs`` at FDR 5 % (no extra filters), pooled over seeds, at 504 and 252 obs.
4. ``--null-tails PAIRS`` (optional, slow): rejection rates of the test on independent random-walk
   pairs relative to the nominal level, for AIC, BIC and a fixed lag (why select_pairs uses BIC).
Timings are wall-clock on a shared machine: read them as indicative.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from statsmodels.tsa.stattools import coint  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402  (scikit-learn's dependency)

from pairs_platform.pairs import NO_FILTERS, coint_batch, coint_pairs, select_pairs  # noqa: E402
from pairs_platform.pairs.synthetic import planted_pairs_prices, recall_and_false_share  # noqa: E402

BUNDLED = Path(__file__).resolve().parents[1] / "pairs_platform/data/bundled/sp500_dataset.csv.gz"


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far, in GiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def statsmodels_loop(y_cols, x_cols, **options):
    """(stat, pvalue) arrays from a plain loop over statsmodels' coint (the reference), with BLAS
    on one thread: the per-core rate (a loop over pairs would be spread over cores by processes)."""
    out = np.empty((len(y_cols), 2))
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        for k, (y, x) in enumerate(zip(y_cols, x_cols)):  # reference loop, deliberately
            out[k] = coint(y, x, **options)[:2]
    return out[:, 0], out[:, 1]


def parity(stat, pvalue, ref_stat, ref_pvalue) -> tuple[float, float]:
    """Max relative statistic error (finite ones; infinities must match) and max p-value error."""
    finite = np.isfinite(ref_stat)
    if not np.array_equal(np.isinf(stat), ~finite):
        return np.inf, np.inf
    rel = np.abs(stat[finite] - ref_stat[finite]) / np.abs(ref_stat[finite])
    return float(rel.max(initial=0.0)), float(np.abs(pvalue - ref_pvalue).max(initial=0.0))


def time_engine(panel, iy, ix, materialize: bool, repeats: int) -> tuple[float, object]:
    """Best wall time of the engine over ``repeats`` runs, and its result."""
    y, x = (panel[:, iy], panel[:, ix]) if materialize else (None, None)
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = coint_batch(y, x) if materialize else coint_pairs(panel, iy, ix)
        best = min(best, time.perf_counter() - start)
    return best, result


def speed_section(n_series: int, n_obs: int, sample: int, repeats: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    panel = np.cumsum(rng.normal(size=(n_obs, n_series)), axis=0)
    iy, ix = np.triu_indices(n_series, k=1)
    n_pairs = len(iy)
    coint_pairs(panel[:50, :3], [0], [1])  # load the compiled kernel before timing
    materialize = n_series <= 200
    name = "coint_batch" if materialize else "coint_pairs"
    seconds, result = time_engine(panel, iy, ix, materialize, repeats)
    pick = rng.choice(n_pairs, size=min(sample, n_pairs), replace=False)
    start = time.perf_counter()
    ref_stat, ref_p = statsmodels_loop(panel[:, iy[pick]].T, panel[:, ix[pick]].T)
    loop_seconds = time.perf_counter() - start
    rel, pabs = parity(result.stat[pick], result.pvalue[pick], ref_stat, ref_p)
    engine_rate, loop_rate = n_pairs / seconds, len(pick) / loop_seconds
    print(f"speed: {n_series} random walks x {n_obs} obs = {n_pairs} pairs, maxlag {result.maxlag}, "
          f"autolag aic, trend c")
    print(f"  {name}: {seconds:.3f} s (best of {repeats}) = {engine_rate:,.0f} pairs/s")
    if materialize:
        indexed_seconds, indexed = time_engine(panel, iy, ix, False, repeats)
        same = np.array_equal(indexed.stat, result.stat)
        print(f"  coint_pairs (same pairs, no (T, P) copies): {indexed_seconds:.3f} s = "
              f"{n_pairs / indexed_seconds:,.0f} pairs/s; identical to coint_batch: {same}")
    print(f"  statsmodels coint loop (1 core): {len(pick)} sampled pairs in {loop_seconds:.2f} s = "
          f"{loop_rate:,.1f} pairs/s")
    print(f"  ratio: {engine_rate / loop_rate:,.0f}x the 1-core loop; {engine_rate / (2 * loop_rate):,.0f}x "
          f"a loop ideally spread over both cores")
    ok = rel <= 1e-8 and pabs <= 1e-8
    print(f"  parity on the {len(pick)} sampled pairs: max rel stat err {rel:.2e}, max abs p err "
          f"{pabs:.2e} -> {'OK' if ok else 'FAIL'}")
    print(f"  p < 0.05 among all pairs: {np.mean(result.pvalue < 0.05):.4f} (independent walks)")
    print(f"  peak RSS: {peak_rss_gib():.2f} GiB")


def load_bundled(n_days: int) -> pd.DataFrame:
    frame = pd.read_csv(BUNDLED, parse_dates=["Date"]).set_index("Date").sort_index()
    frame.index.name = "date"
    return frame.iloc[-n_days:]


def bundled_section(n_top: int = 10) -> None:
    prices = load_bundled(2520)
    logp = np.log(prices.to_numpy(dtype=np.float64))
    names = np.asarray(prices.columns)
    iy, ix = np.triu_indices(len(names), k=1)
    iy, ix = np.concatenate([iy, ix]), np.concatenate([ix, iy])  # both directions
    ours = coint_pairs(logp, iy, ix, maxlag=1, autolag=None)
    ref_stat, ref_p = statsmodels_loop(logp[:, iy].T, logp[:, ix].T, maxlag=1, autolag=None)
    rel, pabs = parity(ours.stat, ours.pvalue, ref_stat, ref_p)
    top_ours = np.lexsort((ours.stat, ours.pvalue))[:n_top]
    top_ref = np.lexsort((ref_stat, ref_p))[:n_top]
    print(f"bundled: {len(names)} stocks, {prices.index[0].date()}..{prices.index[-1].date()} "
          f"({len(prices)} days), log prices, maxlag=1, autolag None, {len(iy)} directed tests")
    print(f"  p < 0.05: coint_batch {int((ours.pvalue < 0.05).sum())}, statsmodels loop "
          f"{int((ref_p < 0.05).sum())}; max rel stat err {rel:.2e}, max abs p err {pabs:.2e}")
    print(f"  top {n_top} identical: {np.array_equal(top_ours, top_ref)}")
    for k in top_ours:
        print(f"    {names[iy[k]]:>5} ~ {names[ix[k]]:<5} stat {ours.stat[k]:8.4f}  p {ours.pvalue[k]:.6f}"
              f"  (statsmodels {ref_stat[k]:8.4f}, {ref_p[k]:.6f})  beta {ours.beta[k]:.4f}")


def planted_section(seeds: int, n_walks: int, n_planted: int, n_obs: int) -> None:
    selected = false = found = 0
    worst_recall, worst_share = 1.0, 0.0
    for seed in range(seeds):
        prices, truth = planted_pairs_prices(n_walks, n_planted, n_obs, seed=seed)
        table = select_pairs(prices, fdr=0.05, filters=NO_FILTERS)
        recall, share = recall_and_false_share(table, truth)
        found += round(recall * len(truth))
        false += round(share * len(table))
        selected += len(table)
        worst_recall, worst_share = min(worst_recall, recall), max(worst_share, share)
    print(f"planted: {seeds} seeds x ({n_walks} walks + {n_planted} planted partners, {n_obs} obs), "
          f"select_pairs defaults (autolag bic, both directions), FDR 5 %, no extra filters")
    print(f"  recall {found / (seeds * n_planted):.3f} (worst seed {worst_recall:.2f}); false-discovery "
          f"share {false / max(selected, 1):.3f} pooled over {selected} selections "
          f"(worst seed {worst_share:.2f})")


def null_tails_section(n_pairs: int, seed: int) -> None:
    """Empirical / nominal rejection rates of the test on independent random-walk pairs."""
    print(f"null tails: {n_pairs:,} independent pairs of random walks; rejection rate / nominal level")
    for n_obs in (252, 504):
        rng = np.random.default_rng(seed + n_obs)
        y = np.cumsum(rng.normal(size=(n_obs, n_pairs)), axis=0)
        x = np.cumsum(rng.normal(size=(n_obs, n_pairs)), axis=0)
        for autolag, maxlag in (("aic", None), ("bic", None), (None, 1)):
            p = coint_batch(y, x, autolag=autolag, maxlag=maxlag).pvalue
            ratios = "  ".join(f"{level:g}: {np.mean(p < level) / level:4.2f}"
                               for level in (0.05, 0.01, 1e-3, 1e-4))
            print(f"  T={n_obs} autolag={autolag} maxlag={maxlag}: {ratios}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200, help="random walks (pairs = N(N-1)/2)")
    parser.add_argument("--obs", type=int, default=2520, help="observations per series")
    parser.add_argument("--sample", type=int, default=100, help="pairs in the statsmodels loop")
    parser.add_argument("--repeats", type=int, default=3, help="engine timing repeats (best kept)")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--skip-bundled", action="store_true")
    parser.add_argument("--skip-planted", action="store_true")
    parser.add_argument("--null-tails", type=int, default=0, metavar="PAIRS",
                        help="also measure the null rejection rates on PAIRS independent pairs")
    args = parser.parse_args(argv)
    speed_section(args.series, args.obs, args.sample, args.repeats, args.seed)
    if not args.skip_bundled:
        bundled_section()
    if not args.skip_planted:
        for n_obs in (504, 252):
            planted_section(seeds=10, n_walks=60, n_planted=20, n_obs=n_obs)
    if args.null_tails:
        null_tails_section(args.null_tails, args.seed)


if __name__ == "__main__":
    main()
