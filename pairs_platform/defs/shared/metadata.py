"""Materialization metadata that makes the Dagster UI useful: counts, ranges, previews, pictures.

Tables are previewed as ``TableMetadataValue`` (a typed table in the UI), never as markdown: a ``|``
in a value such as a ``pair_id`` (``EQ:KO|EQ:PEP``) splits a markdown row into wrong columns.
Numbers are shown rounded (:func:`money` to cents, :func:`ratio` to 4 places).
"""
from __future__ import annotations

import base64
import datetime as dt
import math
from typing import Any, Callable, Mapping

import dagster as dg
import numpy as np
import pandas as pd
from dagster._core.execution.context.metadata_logging import AssetMetadataHandle, OutputMetadataAccumulator

PREVIEW_ROWS = 10
RATIO_DECIMALS = 4
_TYPES = {"b": "bool", "i": "int", "u": "int", "f": "float", "M": "datetime"}


def money(value: float) -> float:
    """An amount of money for display: rounded to cents."""
    return round(float(value), 2)


def ratio(value: float) -> float:
    """A ratio, rate or statistic for display: rounded to 4 decimal places."""
    return round(float(value), RATIO_DECIMALS)


def _cell(value: Any) -> str | int | float | bool | None:
    """One table cell as a ``TableRecord`` accepts it (str, int, float, bool or None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return ratio(value) if math.isfinite(value) else str(value)
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def table_preview(frame: pd.DataFrame | pd.Series, rows: int | None = None) -> dg.TableMetadataValue:
    """A table shown as a typed table in the UI (a named index becomes the first column).

    Parameters
    ----------
    frame : pd.DataFrame or pd.Series
        The table; floats are rounded to 4 places, dates shown as ``YYYY-MM-DD``.
    rows : int, optional
        Show only the last ``rows`` rows (all when omitted).

    Returns
    -------
    dg.TableMetadataValue
        Records and a schema whose columns keep their names, whatever characters the values hold.
    """
    table = frame.to_frame() if isinstance(frame, pd.Series) else frame
    table = table.tail(rows) if rows is not None else table
    if not isinstance(table.index, pd.RangeIndex) or table.index.name is not None:
        table = table.reset_index()
    table = table.rename(columns=str)
    schema = dg.TableSchema(columns=[dg.TableColumn(name, _TYPES.get(table[name].dtype.kind, "string"))
                                     for name in table.columns])
    records = [dg.TableRecord({name: _cell(value) for name, value in zip(table.columns, row)})
               for row in table.itertuples(index=False, name=None)]
    return dg.MetadataValue.table(records, schema)


def frame_metadata(frame: pd.DataFrame, preview_rows: int = PREVIEW_ROWS) -> dict:
    """Row count, date range, instrument count and a table preview of a frame."""
    meta: dict = {"dagster/row_count": len(frame)}
    meta.update(date_range(frame))
    if "instrument_id" in frame.columns:
        meta["instruments"] = int(frame["instrument_id"].nunique())
    if len(frame):
        meta["preview"] = table_preview(frame, preview_rows)
    return meta


def date_range(frame: pd.DataFrame) -> dict:
    """``first_date`` and ``last_date`` of a frame's ``date`` column or date index (empty when none)."""
    if not len(frame):
        return {}
    if "date" in frame.columns:
        dates = pd.to_datetime(frame["date"])
    elif isinstance(frame.index, pd.DatetimeIndex):
        dates = frame.index
    else:
        return {}
    return {"first_date": str(dates.min().date()), "last_date": str(dates.max().date())}


def table_figures(part: pd.DataFrame) -> dict:
    """Row count, date range, instrument count and preview of one partition's rows."""
    return frame_metadata(part)


def record_partition_figures(context: dg.AssetExecutionContext, frame: pd.DataFrame, column: str = "session",
                             figures: Callable[[pd.DataFrame], dict] = table_figures) -> None:
    """Give each partition of the run its own figures, not the run's totals.

    Parameters
    ----------
    context : dg.AssetExecutionContext
        A partitioned asset's context (one partition or a single-run range).
    frame : pd.DataFrame
        The value of the whole run; ``column`` holds each row's partition day.
    column : str, default 'session'
        The column naming each row's partition (a date).
    figures : callable, default :func:`table_figures`
        Metadata of one partition's rows (called with an empty frame for a partition without rows).
    """
    days = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d").to_numpy() if len(frame) else []
    groups = dict(list(frame.groupby(days, sort=False))) if len(frame) else {}
    by_partition = {key: figures(groups.get(key, frame.iloc[0:0])) for key in context.partition_keys}
    add_per_partition_metadata(context._step_execution_context, context.asset_key, by_partition)  # noqa: SLF001


def add_per_partition_metadata(step, asset_key: dg.AssetKey, by_partition: Mapping[str, dict]) -> None:
    """Partition-scoped metadata, as ``step.add_asset_metadata(m, asset_key, partition_key=k)`` records
    it, merged in one pass: the public call recomputes the run's whole partition range on every call
    (measured 9 ms for 1,257 sessions, i.e. ~11 s per 5-year backfill). Tied to Dagster 1.13's
    accumulator; ``test_a_ranged_run_records_rows_per_partition`` fails if that changes.

    ``step`` is the step execution context (``context.step_context`` of an output context, or
    ``context.op_execution_context._step_execution_context`` inside an asset). A key given here
    overrides the same key of the asset's run-wide ``Output`` metadata on that partition.
    """
    merged = dict(step._metadata_accumulator.per_output_metadata)
    for key, metadata in by_partition.items():
        handle = AssetMetadataHandle(asset_key=asset_key, partition_key=key)
        merged[handle] = {**merged.get(handle, {}), **metadata}
    step._metadata_accumulator = OutputMetadataAccumulator(per_output_metadata=merged)


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
