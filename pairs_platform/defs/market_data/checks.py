"""[market_data] data-quality checks of the cleaned prices (declared on the asset, evaluated as it runs)."""
import dagster as dg
import pandas as pd

CLEANED_CHECKS = [
    dg.AssetCheckSpec("positive_finite_closes", asset="cleaned_prices",
                      description="Every cleaned close is a finite number above zero."),
    dg.AssetCheckSpec("no_duplicate_bars", asset="cleaned_prices",
                      description="At most one bar per instrument and session."),
    dg.AssetCheckSpec("every_instrument_every_session", asset="cleaned_prices",
                      description="No instrument of the raw bars is lost, and each has a bar on every session from its "
                                  "first (listing) on."),
    dg.AssetCheckSpec("forward_fill_within_tolerance", asset="cleaned_prices",
                      description="Forward-filled bars stay under 2% of the cleaned bars."),
]



def cleaned_checks(bars: pd.DataFrame, expected_ids: set[str], gaps_filled: int):
    """The results of CLEANED_CHECKS on the cleaned bars, yielded by the cleaned_prices asset."""
    close = pd.to_numeric(bars["close"], errors="coerce")
    bad = int((~(close > 0) | close.isna()).sum())
    yield dg.AssetCheckResult(check_name="positive_finite_closes", asset_key="cleaned_prices",
                              passed=bad == 0, metadata={"bad_rows": bad})
    dupes = int(bars.duplicated(["date", "instrument_id"]).sum())
    yield dg.AssetCheckResult(check_name="no_duplicate_bars", asset_key="cleaned_prices",
                              passed=dupes == 0, metadata={"duplicates": dupes})
    lost = sorted(expected_ids - set(bars["instrument_id"]))
    dates = pd.DatetimeIndex(sorted(bars["date"].unique()))
    grouped = bars.groupby("instrument_id")["date"]
    since_first = pd.Series(len(dates) - dates.searchsorted(pd.DatetimeIndex(grouped.min())), grouped.min().index)
    sessions = grouped.nunique()  # every session from the instrument's first (listing) on
    ragged = sorted(sessions.index[sessions != since_first.reindex(sessions.index)])
    yield dg.AssetCheckResult(check_name="every_instrument_every_session", asset_key="cleaned_prices",
                              passed=not lost and not ragged,
                              metadata={"instruments_lost": ", ".join(lost) or "none",
                                        "instruments_with_missing_sessions": ", ".join(ragged) or "none"})
    share = gaps_filled / max(len(bars), 1)
    yield dg.AssetCheckResult(check_name="forward_fill_within_tolerance", asset_key="cleaned_prices",
                              passed=share <= 0.02, severity=dg.AssetCheckSeverity.WARN,
                              metadata={"filled_bars": gaps_filled, "filled_share": round(share, 5)})
