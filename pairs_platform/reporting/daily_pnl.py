"""The daily P&L of a trading session from the ledger's fills, orders and refusals (pure core).

Accounting is the ledger's own: positions at average cost (``Ledger.record_fill`` /
``execution.ledger.apply_fill_to_position``: adding averages the entry price, reducing keeps it,
going flat resets it, crossing zero starts a new position at the fill price). Per session t:

- ``realized_pnl``: sum over t's fills of (fill price - average cost) x closed units x multiplier
  (sign of the closed position), minus t's commissions; slippage is inside the fill price;
- ``unrealized_pnl``: sum over held instruments of units x (close_t - average cost) x multiplier,
  marked at t's traded close (the last fill price when the store has no close);
- ``cumulative_pnl`` = cumulative realized + unrealized = equity - capital, so
  ``daily_pnl_t = realized_pnl_t + unrealized_pnl_t - unrealized_pnl_(t-1)``: the desk's
  ``/api/pnl`` marking (cash + holdings x close) gives the same equity;
- exposure at t's close: gross sum |units x close x multiplier|, net the signed sum, in $ and as a
  share of capital (the desk's convention);
- the backtest's P&L of the same session (``equity_t - equity_(t-1)``) and its cumulative P&L rebased
  to the session before the first fill.

The average-cost replay is a numba kernel over the fills in time order (one pass, no loop over bars).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

_FLAT_TOLERANCE = 1e-9  # the ledger's: a position within this (relative) of zero is flat
PNL_COLUMNS = ["session", "realized_pnl", "commission", "unrealized_pnl", "daily_pnl", "cumulative_pnl", "equity",
               "gross_exposure", "net_exposure", "gross_exposure_pct", "net_exposure_pct", "orders_sent",
               "orders_rejected", "orders_refused", "fills", "backtest_daily_pnl", "backtest_cumulative_pnl",
               "daily_pnl_vs_backtest"]


@numba.njit(cache=True)
def _average_cost(codes, signed, price, n_instruments):  # pragma: no cover - compiled
    """Per fill (in time order): realized P&L in price units x units, position and average cost after."""
    qty, avg = np.zeros(n_instruments), np.zeros(n_instruments)
    realized, q_after, a_after = np.zeros(len(codes)), np.zeros(len(codes)), np.zeros(len(codes))
    for k in range(len(codes)):
        i = codes[k]
        q, a, f, p = qty[i], avg[i], signed[k], price[k]
        new = q + f
        if q != 0.0 and (q > 0.0) != (f > 0.0):  # reduces (or crosses): realize the closed units
            realized[k] = min(abs(f), abs(q)) * (p - a) * (1.0 if q > 0.0 else -1.0)
        if abs(new) <= _FLAT_TOLERANCE * max(1.0, abs(q)):
            new, a = 0.0, 0.0
        elif q == 0.0 or (q > 0.0) == (f > 0.0):
            a = (abs(q) * a + abs(f) * p) / abs(new)
        elif (q > 0.0) != (new > 0.0):
            a = p
        qty[i], avg[i], q_after[k], a_after[k] = new, a, new, a
    return realized, q_after, a_after


@dataclass(frozen=True)
class LedgerActivity:
    """One strategy's ledger, as frames (``Ledger.fills_frame``/``orders_frame``/``refusals_frame``).

    Parameters
    ----------
    fills : pd.DataFrame
        ``date``, ``instrument_id``, ``signed_quantity``, ``price``, ``commission`` per fill.
    orders : pd.DataFrame
        ``as_of`` and ``status`` per order recorded (sent to the broker).
    refusals : pd.DataFrame
        ``as_of`` per order the risk engine refused.
    """

    fills: pd.DataFrame
    orders: pd.DataFrame
    refusals: pd.DataFrame


def _replay(fills: pd.DataFrame, multipliers: pd.Series) -> pd.DataFrame:
    """The fills in the order the ledger applied them (date, then recording time) with ``realized``
    ($, before commission), ``units`` and ``avg_cost`` after each."""
    order = [c for c in ("date", "created_at") if c in fills.columns]
    table = fills.assign(date=pd.to_datetime(fills["date"])).sort_values(order, kind="stable").reset_index(drop=True)
    codes, names = pd.factorize(table["instrument_id"])
    realized, units, avg = _average_cost(codes.astype(np.int64), table["signed_quantity"].to_numpy(np.float64),
                                         table["price"].to_numpy(np.float64), len(names))
    mult = multipliers.reindex(table["instrument_id"]).fillna(1.0).to_numpy(np.float64)
    return table.assign(realized=realized * mult, units=units, avg_cost=avg)


def _as_of_rows(replayed: pd.DataFrame, column: str, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """``column``'s last value per instrument as of each session's end (NaN before its first fill)."""
    last = replayed.pivot_table(index="date", columns="instrument_id", values=column, aggfunc="last")
    index = last.index.union(sessions)
    return last.reindex(index).ffill().reindex(sessions)


def session_pnl(fills: pd.DataFrame, closes: pd.DataFrame, multipliers: pd.Series, capital: float) -> pd.DataFrame:
    """Realized, unrealized, daily and cumulative P&L, equity and exposure of each session of ``closes``.

    Parameters
    ----------
    fills : pd.DataFrame
        Every fill of the strategy so far (``LedgerActivity.fills``); fills after the last session are ignored.
    closes : pd.DataFrame
        Traded closes, sessions x instruments. Include the session before the first one reported:
        the first row's ``daily_pnl`` is NaN when positions were held before it.
    multipliers : pd.Series
        Contract multiplier per instrument id (1.0 for those not listed).
    capital : float
        Starting capital ($): equity = capital + cumulative P&L; exposures as a share of it.

    Returns
    -------
    pd.DataFrame
        Indexed by session (``DatetimeIndex`` named ``session``); money in $, ``*_pct`` in percent.
    """
    sessions = pd.DatetimeIndex(closes.index).sort_values()
    replayed = _replay(fills, multipliers) if len(fills) else None
    out = pd.DataFrame(index=pd.DatetimeIndex(sessions, name="session"))
    if replayed is None:
        out[["realized_pnl", "commission", "unrealized_pnl", "cumulative_pnl", "gross_exposure", "net_exposure"]] = 0.0
        out["fills"], out["daily_pnl"] = 0, 0.0
    else:
        # a fill belongs to its session (or the next one); the first row counts the fills dated on it only
        slot = sessions.searchsorted(replayed["date"], side="left")
        inside = (slot < len(sessions)) & (replayed["date"] >= sessions[0]).to_numpy() if len(sessions) else slot < 0
        per_row = replayed.assign(slot=slot)[inside].groupby("slot")
        for name, column in (("realized_pnl", "realized"), ("commission", "commission")):
            out[name] = per_row[column].sum().reindex(range(len(sessions)), fill_value=0.0).to_numpy()
        out["fills"] = per_row.size().reindex(range(len(sessions)), fill_value=0).to_numpy()
        out["realized_pnl"] -= out["commission"]
        units, avg = _as_of_rows(replayed, "units", sessions), _as_of_rows(replayed, "avg_cost", sessions)
        marks = closes.reindex(index=sessions, columns=units.columns).combine_first(
            _as_of_rows(replayed, "price", sessions))
        mult = multipliers.reindex(units.columns).fillna(1.0)
        held = units.fillna(0.0)
        out["unrealized_pnl"] = (held * (marks - avg.fillna(0.0)) * mult).where(held != 0, 0.0).sum(axis=1, min_count=0)
        cum_realized = (replayed["realized"] - replayed["commission"]).groupby(replayed["date"]).sum().cumsum()
        out["cumulative_pnl"] = cum_realized.reindex(cum_realized.index.union(sessions)).ffill().reindex(sessions) \
            .fillna(0.0).to_numpy() + out["unrealized_pnl"].to_numpy()
        value = (held * marks * mult).where(held != 0, 0.0)
        out["gross_exposure"], out["net_exposure"] = value.abs().sum(axis=1), value.sum(axis=1)
        before = bool(len(sessions)) and bool((replayed["date"] < sessions[0]).any())
        first = np.nan if before else out["cumulative_pnl"].iloc[0]
        out["daily_pnl"] = out["cumulative_pnl"].diff().fillna(first) if len(out) else out["cumulative_pnl"]
    out["equity"] = capital + out["cumulative_pnl"]
    out["gross_exposure_pct"] = out["gross_exposure"] / capital * 100.0
    out["net_exposure_pct"] = out["net_exposure"] / capital * 100.0
    return out


def session_activity(activity: LedgerActivity, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """Orders sent (recorded) and rejected by the broker, orders refused by the risk engine, per session.

    An order sent at t's close fills at t+1: t's ``orders_sent`` and t+1's ``fills`` go together.
    """
    def count(frame: pd.DataFrame, column: str, where=None) -> np.ndarray:
        days = pd.to_datetime(frame[column]) if len(frame) else pd.Series(dtype="datetime64[ns]")
        days = days[where] if where is not None and len(frame) else days
        return days.value_counts().reindex(sessions, fill_value=0).to_numpy(dtype=np.int64)

    orders = activity.orders
    rejected = (orders["status"] == "rejected") if len(orders) else None
    return pd.DataFrame({"orders_sent": count(orders, "as_of"), "orders_rejected": count(orders, "as_of", rejected),
                         "orders_refused": count(activity.refusals, "as_of")},
                        index=pd.DatetimeIndex(sessions, name="session"))


def backtest_comparison(backtest_equity: pd.Series, sessions: pd.DatetimeIndex,
                        first_fill: pd.Timestamp | None) -> pd.DataFrame:
    """The backtest's P&L of each session (``equity_t - equity_(t-1)``, NaN where it has no such
    session) and its cumulative P&L from the session before ``first_fill`` (the paper book's start;
    NaN before it), as the desk's ``/api/pnl`` rebases it."""
    equity = backtest_equity.astype("float64").sort_index()
    equity.index = pd.DatetimeIndex(pd.to_datetime(equity.index))
    daily = equity.diff().reindex(sessions)
    cumulative = pd.Series(np.nan, index=sessions)
    if first_fill is not None and len(equity):
        before = equity[equity.index < first_fill]
        base = before.iloc[-1] if len(before) else equity.iloc[0]
        cumulative = (equity.reindex(sessions) - base).where(sessions >= first_fill)
    return pd.DataFrame({"backtest_daily_pnl": daily.to_numpy(), "backtest_cumulative_pnl": cumulative.to_numpy()},
                        index=pd.DatetimeIndex(sessions, name="session"))


@dataclass(frozen=True)
class DailyPnlInputs:
    """What the daily P&L report of some sessions is computed from.

    Parameters
    ----------
    activity : LedgerActivity
        The strategy's ledger.
    closes : pd.DataFrame
        Traded closes, sessions x instruments, of the reported sessions and the session before.
    multipliers : pd.Series
        Contract multiplier per instrument id.
    capital : float
        The strategy's capital ($).
    backtest_equity : pd.Series, optional
        The backtest's equity curve ($), for the comparison (NaN columns without it).
    """

    activity: LedgerActivity
    closes: pd.DataFrame
    multipliers: pd.Series
    capital: float
    backtest_equity: pd.Series | None = None


def daily_pnl_table(inputs: DailyPnlInputs, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """One row per session of ``sessions``: columns :data:`PNL_COLUMNS` (``session`` a column)."""
    sessions = pd.DatetimeIndex(sessions).sort_values()
    missing = sessions.difference(pd.DatetimeIndex(inputs.closes.index))
    if len(missing):
        raise ValueError(f"daily P&L: no traded closes for session(s) {[str(d.date()) for d in missing[:3]]}; "
                         "materialize cleaned_prices for them first")
    pnl = session_pnl(inputs.activity.fills, inputs.closes, inputs.multipliers, inputs.capital).reindex(sessions)
    fills = inputs.activity.fills
    first_fill = pd.Timestamp(pd.to_datetime(fills["date"]).min()) if len(fills) else None
    bench = (backtest_comparison(inputs.backtest_equity, sessions, first_fill) if inputs.backtest_equity is not None
             else pd.DataFrame({"backtest_daily_pnl": np.nan, "backtest_cumulative_pnl": np.nan}, index=sessions))
    table = pnl.join(session_activity(inputs.activity, sessions)).join(bench.set_axis(sessions))
    table["daily_pnl_vs_backtest"] = table["daily_pnl"] - table["backtest_daily_pnl"]
    return table.rename_axis("session").reset_index()[PNL_COLUMNS]
