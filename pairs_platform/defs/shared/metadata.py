"""Materialization metadata that makes the Dagster UI useful: counts, ranges, previews, pictures."""
from __future__ import annotations

import base64

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 10


def frame_metadata(frame: pd.DataFrame, preview_rows: int = PREVIEW_ROWS) -> dict:
    """Row count, date range, instrument count and a markdown preview of a table."""
    meta: dict = {"dagster/row_count": len(frame)}
    dates = None
    if "date" in frame.columns and len(frame):
        dates = pd.to_datetime(frame["date"])
    elif isinstance(frame.index, pd.DatetimeIndex) and len(frame):
        dates = frame.index
    if dates is not None:
        meta["first_date"] = str(dates.min().date())
        meta["last_date"] = str(dates.max().date())
    if "instrument_id" in frame.columns:
        meta["instruments"] = int(frame["instrument_id"].nunique())
    if len(frame):
        meta["preview"] = dg.MetadataValue.md(frame.tail(preview_rows).to_markdown())
    return meta


def png_markdown(png: bytes, alt: str) -> dg.MetadataValue:
    """A picture shown inline in the asset's metadata panel."""
    encoded = base64.b64encode(png).decode("ascii")
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{encoded})")


HEADLINE = ("cagr", "sharpe", "max_drawdown", "annual_volatility", "sortino", "trade_count", "hit_rate")
"""Backtest summary keys shown as headline metadata (backtest, search)."""


def segments_table(segments: list) -> pd.DataFrame:
    """One row per walk-forward model segment: start, training rows, whether trained, CV metrics."""
    return pd.DataFrame([{"start": s.start.date(), "n_train": s.n_train, "trained": s.model is not None,
                          **({k: round(v, 4) for k, v in s.model.cv_metrics.items()} if s.model else {})}
                         for s in segments])
