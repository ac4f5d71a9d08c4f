"""The selection funnel explained: every step's count with one sentence saying what it kept.

:func:`explain_funnel` turns ``select_pairs``' counts into ``{step: (count, explanation)}`` and
:func:`expected_false_discoveries` bounds how many of the pairs that passed the test are expected
to be false (not cointegrated), so a reader sees both the multiple-testing burden and its control.
"""
from __future__ import annotations

FILTER_TEXT = {
    "passed_half_life": "spread half-life within [{min_half_life}, {max_half_life}] bars",
    "passed_hurst": "Hurst exponent of the spread below {max_hurst} (mean-reverting)",
    "passed_crossings": "spread crosses its formation mean at least {min_crossings_per_year} times a year",
    "passed_correlation": "correlation of the legs' bar returns at least {min_correlation}",
}
DIRECTION_TEXT = {"both": "2 regressions per pair (y on x and x on y); the pair p-value is the larger",
                  "either": "2 regressions per pair; the pair p-value is twice the smaller (Bonferroni)",
                  "fixed": "1 regression per pair (y = first leg)"}


def expected_false_discoveries(n_pair_tests: int, n_passed: int, fdr: float, max_pvalue: float | None) -> float:
    """Upper bound on the expected number of false pairs among those that passed the test.

    Per-test level (``max_pvalue``): ``m * max_pvalue`` (every candidate a true null, the worst
    case). Benjamini-Hochberg at ``fdr``: ``fdr * max(R, 1)`` with R the pairs passed, since BH
    keeps E[V / R] <= fdr (and the chance of any false pair <= fdr when all are null).
    """
    if max_pvalue is not None:
        return float(n_pair_tests * max_pvalue)
    return float(fdr * max(n_passed, 1))


def _test_text(method: str, fdr: float, max_pvalue: float | None) -> str:
    if method == "engle_granger":
        if max_pvalue is not None:
            return (f"pair p-value <= {max_pvalue} per test: NO multiple-testing control, "
                    "expect that share of the candidates to pass on noise")
        return f"Benjamini-Hochberg q-value of the pair p-value <= {fdr} (false discovery rate {fdr:.0%})"
    if method == "johansen":
        return "Johansen trace test of no cointegration rejected (per test, no multiple-testing control)"
    return "the smallest sums of squared distances of normalized prices (no test)"


def explain_funnel(funnel: dict, settings: dict) -> dict[str, tuple[int, str]]:
    """``{step: (count, explanation)}`` in funnel order, from ``select_pairs``' funnel and settings.

    ``settings``: method, candidates, group_by, direction, fdr, max_pvalue, max_pairs,
    one_pair_per_leg (optional) and the
    :class:`~pairs_platform.pairs.selection.PairFilters` fields (as a dict).
    """
    cand = settings["candidates"]
    where = (f"pairs within the same {settings['group_by']!r} group" if cand == "group"
             else "every pair of instruments" if cand == "all"
             else "pairs within PCA + OPTICS clusters" if cand == "optics" else "the given pairs")
    texts = {
        "candidates": f"candidate pairs: {where}",
        "tested": ("tests run: " + DIRECTION_TEXT.get(settings["direction"], "")
                   if settings["method"] == "engle_granger" else "tests run: one per candidate"),
        "passed_test": "passed the test: " + _test_text(settings["method"], settings["fdr"], settings["max_pvalue"]),
        "passed_fdr": f"would pass Benjamini-Hochberg at {settings['fdr']} (shown even when not selecting by it)",
        **{k: "kept by the filter: " + v.format(**settings) for k, v in FILTER_TEXT.items()},
        "one_pair_per_leg": ("one pair per instrument: the best-ranked pair of each leg (a leg that tests "
                             "cointegrated with many partners is usually dominated by a stationary "
                             "component, not a real partner of each)"),
        "selected": (f"selected: the best {settings['max_pairs']} by the ranking key"
                     if settings["max_pairs"] is not None else "selected: every pair left, ranked"),
    }
    return {step: (int(funnel[step]), text) for step, text in texts.items() if step in funnel}


def summarize_windows(window_attrs: list[dict]) -> dict:
    """Totals over the formation windows of a walk-forward schedule, from each window's
    ``select_pairs(...).attrs``: ``windows``, ``tests_run``, ``expected_false_discoveries`` (sum of
    the per-window bounds), ``expected_false_per_window`` and ``funnel`` ``{step: (total count,
    explanation)}`` (explanations of the first window; every window uses the same settings)."""
    explained = [a["funnel_explained"] for a in window_attrs if "funnel_explained" in a]
    totals: dict[str, tuple[int, str]] = {}
    for funnel in explained:
        for step, (count, text) in funnel.items():
            totals[step] = (totals.get(step, (0, text))[0] + int(count), totals.get(step, (0, text))[1])
    expected = float(sum(a.get("expected_false_discoveries", 0.0) for a in window_attrs))
    return {"windows": len(window_attrs), "tests_run": int(sum(a.get("n_tests", 0) for a in window_attrs)),
            "expected_false_discoveries": expected,
            "expected_false_per_window": expected / len(window_attrs) if window_attrs else float("nan"),
            "funnel": totals}
