"""Pure computations of the desk's views from the read model's frames (vectorized pandas).

P&L is marked to the traded closes: ``equity_t = capital + cash_t + sum_i holdings_i,t * close_i,t *
multiplier_i`` where cash moves by ``-signed quantity * price * multiplier - commission`` on each fill.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pairs_platform.data.calendar import is_trading_day, previous_trading_day, trading_days
from pairs_platform.signals.spreads import pair_ids

NEW_YORK = ZoneInfo("America/New_York")
# The daily pipeline runs at 18:30 New York time (defs/automation.py): a session is expected after it.
SESSION_READY_AFTER = dt.time(18, 30)
LEG_COLUMNS = ["pair_id", "leg", "instrument_id", "target_units", "instrument_position", "z", "hedge_ratio",
               "entry_allowed"]
EMPTY_CURVE = pd.DataFrame(columns=["equity", "daily_pnl", "cumulative_pnl", "drawdown"],
                           index=pd.DatetimeIndex([], name="date"), dtype="float64")


def multipliers(instruments: pd.DataFrame, ids) -> pd.Series:
    """Contract multiplier per instrument id (1.0 for instruments the table does not list)."""
    table = instruments["multiplier"] if "multiplier" in instruments else pd.Series(dtype="float64")
    return table.reindex(pd.Index(ids)).astype("float64").fillna(1.0)


def _sessions_from(closes: pd.DataFrame, first: pd.Timestamp) -> pd.DataFrame:
    return closes.loc[closes.index >= first].sort_index().ffill()


def live_equity(fills: pd.DataFrame, closes: pd.DataFrame, instruments: pd.DataFrame,
                capital: float) -> pd.DataFrame:
    """Daily equity, P&L, cumulative P&L and drawdown of the fills, marked to ``closes``."""
    if fills.empty or closes.empty:
        return EMPTY_CURVE.copy()
    dates = pd.to_datetime(fills["date"])
    px = _sessions_from(closes, dates.min())
    if px.empty:
        return EMPTY_CURVE.copy()
    # a fill on a non-session day belongs to the next session
    slot = px.index[np.minimum(px.index.searchsorted(dates, side="left"), len(px.index) - 1)]
    ids = sorted(set(fills["instrument_id"]))
    mult = multipliers(instruments, ids)
    frame = fills.assign(session=slot, m=fills["instrument_id"].map(mult).to_numpy())
    frame["cash"] = -frame["signed_quantity"] * frame["price"] * frame["m"] - frame["commission"]
    qty = frame.pivot_table(index="session", columns="instrument_id", values="signed_quantity", aggfunc="sum")
    holdings = qty.reindex(index=px.index, columns=ids).fillna(0.0).cumsum()
    cash = frame.groupby("session")["cash"].sum().reindex(px.index).fillna(0.0).cumsum()
    # an instrument without a close in the store is marked at its last fill price, never at zero
    fill_px = frame.pivot_table(index="session", columns="instrument_id", values="price", aggfunc="last")
    marks = px.reindex(columns=ids).combine_first(fill_px.reindex(index=px.index, columns=ids).ffill()).fillna(0.0)
    equity = capital + cash + (holdings * marks * mult).sum(axis=1)
    return curve(equity, capital)


def curve(equity: pd.Series, capital: float) -> pd.DataFrame:
    """Equity, daily and cumulative P&L and drawdown (<= 0) of an equity series."""
    out = pd.DataFrame({"equity": equity.astype("float64")})
    out["daily_pnl"] = out["equity"].diff().fillna(out["equity"].iloc[0] - capital)
    out["cumulative_pnl"] = out["equity"] - capital
    out["drawdown"] = out["equity"] / out["equity"].cummax().clip(lower=1e-12) - 1.0
    out.index.name = "date"
    return out


def rebased_cumulative(benchmark: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    """``benchmark``'s cumulative P&L over ``index``, measured from the session before its start."""
    if benchmark.empty or len(index) == 0:
        return pd.Series(np.nan, index=index)
    bench = benchmark.sort_index()
    before = bench.loc[bench.index < index[0]]
    base = before.iloc[-1] if len(before) else bench.asof(index[0])
    return bench.reindex(index).ffill() - base


def latest_closes(closes: pd.DataFrame) -> pd.Series:
    """The newest known close of each instrument."""
    return closes.sort_index().ffill().iloc[-1] if len(closes) else pd.Series(dtype="float64")


def exposure(positions: pd.DataFrame, closes: pd.Series, instruments: pd.DataFrame,
             capital: float) -> tuple[pd.DataFrame, dict]:
    """Per-instrument market values and totals (gross, net, per asset class; money and fraction)."""
    net = positions.groupby("instrument_id")["quantity"].sum() if len(positions) else pd.Series(dtype="float64")
    mult = multipliers(instruments, net.index)
    table = pd.DataFrame({"quantity": net, "price": closes.reindex(net.index), "multiplier": mult})
    table["market_value"] = table["quantity"] * table["price"] * table["multiplier"]
    classes = instruments["asset_class"] if "asset_class" in instruments else pd.Series(dtype="str")
    table["asset_class"] = classes.reindex(net.index).fillna("unknown").astype(str)
    by_class = table.groupby("asset_class")["market_value"].agg(
        gross=lambda v: v.abs().sum(), net="sum") if len(table) else pd.DataFrame(columns=["gross", "net"])
    totals = {"gross": float(table["market_value"].abs().sum()), "net": float(table["market_value"].sum()),
              "by_class": by_class, "unpriced": sorted(table.index[table["price"].isna()])}
    return table, totals


def current_universe(universe: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Schedule rows trading on ``as_of`` (the newest window if none does), with their pair_id."""
    if universe.empty:
        return universe.assign(pair_id=pd.Series(dtype="str"))
    table = universe.assign(pair_id=pair_ids(universe))
    if as_of is not None and {"trade_start", "trade_end"} <= set(table.columns):
        live = table[(pd.to_datetime(table["trade_start"]) <= as_of) & (pd.to_datetime(table["trade_end"]) >= as_of)]
        if len(live):
            return live.reset_index(drop=True)
    if "window_id" in table:
        return table[table["window_id"] == table["window_id"].max()].reset_index(drop=True)
    return table.reset_index(drop=True)


def _on_day(frame: pd.DataFrame, day: pd.Timestamp | None) -> pd.DataFrame:
    """Rows of ``frame`` whose ``date`` is ``day`` (none if ``day`` is None)."""
    if frame.empty or day is None:
        return frame.iloc[0:0]
    return frame[pd.to_datetime(frame["date"]) == day]


def leg_rows(universe: pd.DataFrame, targets: pd.DataFrame, signals: pd.DataFrame,
             net_positions: pd.Series, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """One row per (pair, leg) of the current universe: target units, the instrument's net position,
    z-score, hedge ratio and whether an entry is allowed, as of the newest signal session."""
    pairs = current_universe(universe, as_of)
    if pairs.empty:
        return pd.DataFrame(columns=LEG_COLUMNS)
    legs = pd.concat([pairs.assign(leg=leg, instrument_id=pairs[leg]) for leg in ("y", "x")], ignore_index=True)
    tgt = _on_day(targets, as_of).groupby(["pair_id", "leg"])["units"].sum() if len(targets) else pd.Series(dtype="float64")
    sig = _on_day(signals, as_of).set_index("pair_id") if len(signals) else pd.DataFrame(columns=["z", "entry_allowed"])
    out = pd.DataFrame({
        "pair_id": legs["pair_id"], "leg": legs["leg"], "instrument_id": legs["instrument_id"],
        "target_units": tgt.reindex(pd.MultiIndex.from_frame(legs[["pair_id", "leg"]])).fillna(0.0).to_numpy(),
        "instrument_position": net_positions.reindex(legs["instrument_id"]).fillna(0.0).to_numpy(),
        "z": sig["z"].reindex(legs["pair_id"]).to_numpy(dtype="float64") if "z" in sig else np.nan,
        "hedge_ratio": legs["beta"].astype("float64") if "beta" in legs else np.nan,
        "entry_allowed": sig["entry_allowed"].reindex(legs["pair_id"]).to_numpy() if "entry_allowed" in sig else None,
    })
    return out.sort_values(["pair_id", "leg"], ascending=[True, False], kind="stable").reset_index(drop=True)


def expected_session(now: dt.datetime | None = None) -> dt.date:
    """The newest session whose prices should be in the store at ``now`` (aware, default: now)."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone(NEW_YORK)
    today = pd.Timestamp(local.date())
    if bool(is_trading_day(today)) and local.time() >= SESSION_READY_AFTER:
        return today.date()
    return previous_trading_day(today).date()


def sessions_behind(last: dt.date | None, expected: dt.date) -> int | None:
    """Trading sessions between the last stored session and the expected one (None if no data)."""
    if last is None:
        return None
    return len(trading_days(pd.Timestamp(last) + pd.Timedelta(days=1), pd.Timestamp(expected)))
