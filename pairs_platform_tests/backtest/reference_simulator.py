"""A deliberately plain event-driven pairs simulator: the reference the compiled engine must match.

No numpy vectorization, no shared code with the engine except the parameter dataclasses: every
z-score, hedge ratio, size, cost and limit is recomputed here from the definitions in the
docstrings of StrategyParams, CostModel and RiskLimits, one bar and one pair at a time.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

CLASSES = ("equity", "future", "fixed_income", "crypto")


def _round_lot(q, lot):
    n = math.floor(abs(q) / lot + 0.5)
    return n * lot if q >= 0 else -n * lot


class ReferenceSimulator:
    """Run with ``.run()``; results in ``.equity`` (list), ``.trades`` and ``.refusals`` (lists of dicts)."""

    def __init__(self, prices, schedule, instruments, params, costs, limits, capital, allow=None, opens=None):
        self.p, self.c, self.lim, self.capital = params, costs, limits, capital
        self.dates = list(prices.index)
        self.close = {col: list(prices[col]) for col in prices.columns}
        self.fill = self.close if opens is None else {col: list(opens[col]) for col in opens.columns}
        self.inst = {i: instruments.loc[i].to_dict() for i in instruments.index}
        self.allow = allow
        self.rows = [self._row(k, r) for k, r in enumerate(schedule.to_dict("records"))]
        self.cash, self.peak = capital, capital
        self.units = {i: 0.0 for i in prices.columns}
        self.equity, self.trades, self.refusals, self.targets = [], [], [], []

    def _row(self, k, r):
        start = next(i for i, d in enumerate(self.dates) if d >= pd.Timestamp(r["trade_start"]))
        trade_end = pd.Timestamp(r["trade_end"])
        end = max(i for i, d in enumerate(self.dates) if d <= trade_end)
        if trade_end > self.dates[-1]:  # a window still running: count its weekdays still to come
            end += len(pd.bdate_range(self.dates[-1], trade_end)) - 1
        return dict(r, k=k, start=start, end=end, side=0, order=None, cool_until=0)

    # ---- signals -------------------------------------------------------------------------
    def spread(self, row, t):
        return math.log(self.close[row["y"]][t]) - row["beta"] * math.log(self.close[row["x"]][t]) - row["alpha"]

    def zscore(self, row, t):
        p = self.p
        if p.dynamic_hedge:
            return self.dynamic(row, t)[1]
        if p.zscore == "formation":
            return (self.spread(row, t) - row["spread_mean"]) / row["spread_std"]
        if t + 1 < p.lookback:
            return math.nan
        window = [self.spread(row, s) for s in range(t - p.lookback + 1, t + 1)]
        sd = float(np.std(window, ddof=1))
        return (window[-1] - float(np.mean(window))) / sd if sd > 0 else math.nan

    def dynamic(self, row, t):
        """(beta, z) of a trailing OLS of log y on log x over ``lookback`` bars ending at t."""
        n = self.p.lookback
        if t + 1 < n:
            return math.nan, math.nan
        ly = [math.log(self.close[row["y"]][s]) for s in range(t - n + 1, t + 1)]
        lx = [math.log(self.close[row["x"]][s]) for s in range(t - n + 1, t + 1)]
        my, mx = sum(ly) / n, sum(lx) / n
        cov = sum((a - my) * (b - mx) for a, b in zip(ly, lx)) / (n - 1)
        vx = sum((b - mx) ** 2 for b in lx) / (n - 1)
        vy = sum((a - my) ** 2 for a in ly) / (n - 1)
        beta = cov / vx
        sd = math.sqrt(max(vy - beta * cov, 0.0))
        return beta, (ly[-1] - beta * lx[-1] - (my - beta * mx)) / sd if sd > 0 else math.nan

    def spread_vol(self, row, t):
        n = self.p.vol_lookback
        if t < n:
            return math.nan
        changes = [self.spread(row, s) - self.spread(row, s - 1) for s in range(t - n + 1, t + 1)]
        return float(np.std(changes, ddof=1))

    # ---- the bar loop --------------------------------------------------------------------
    def run(self):
        for t in range(len(self.dates)):
            self.accrue_and_fill(t)
            eq = self.cash + sum(u * self.close[i][t] * self.inst[i]["multiplier"] for i, u in self.units.items() if u)
            self.peak = max(self.peak, eq)
            self.equity.append(eq)
            self.decide_exits(t)
            self.decide_entries(t, eq)
            book = self.projected()
            self.targets.append(dict(book))
        for row in self.rows:
            if row["side"]:
                self.close_trade(row, len(self.dates) - 1, None, "open")
        return self

    def accrue_and_fill(self, t):
        for row in self.rows:
            if row["side"] and t > 0:
                days = (self.dates[t] - self.dates[t - 1]).days / 365.0
                for leg in ("y", "x"):
                    u, i = row["units_" + leg], row[leg]
                    if u < 0:
                        fee = -u * self.close[i][t - 1] * self.inst[i]["multiplier"] * self.borrow_rate(i) * days
                        row["borrow"] += fee
                        self.cash -= fee
            if row["order"] is not None:
                self.execute(row, t)

    def borrow_rate(self, i):
        if self.c.borrow_fee_bps is not None:
            return self.c.borrow_fee_bps / 1e4
        fee = self.inst[i]["borrow_fee_bps"]
        return (self.c.default_borrow_bps if fee is None or math.isnan(fee) else fee) / 1e4

    def commission(self, u):
        return 0.0 if u == 0 else max(self.c.min_commission, abs(u) * self.c.commission_per_unit)

    def execute(self, row, t):
        kind, order = row["order"]
        qty = {"y": order["uy"], "x": order["ux"]} if kind == "enter" else {"y": -row["units_y"], "x": -row["units_x"]}
        px = {leg: self.fill[row[leg]][t] for leg in ("y", "x")}
        value = {leg: abs(qty[leg]) * px[leg] * self.inst[row[leg]]["multiplier"] for leg in ("y", "x")}
        slip = (value["y"] + value["x"]) * self.c.slippage_bps / 1e4
        comm = self.commission(qty["y"]) + self.commission(qty["x"])
        self.cash -= qty["y"] * px["y"] * self.inst[row["y"]]["multiplier"] + qty["x"] * px["x"] * self.inst[row["x"]]["multiplier"]
        self.cash -= slip + comm
        self.units[row["y"]] += qty["y"]
        self.units[row["x"]] += qty["x"]
        row["order"] = None
        if kind == "enter":
            row.update(side=order["side"], units_y=qty["y"], units_x=qty["x"], px_y=px["y"], px_x=px["x"], comm=comm,
                       slip=slip, borrow=0.0, entry_fill=t, notional=value["y"] + value["x"])
        else:
            row["comm"] += comm
            row["slip"] += slip
            self.close_trade(row, t, t, order["reason"], px)

    def close_trade(self, row, t, fill_t, reason, px=None):
        px = px or {leg: self.close[row[leg]][t] for leg in ("y", "x")}
        pnl = sum(row["units_" + leg] * (px[leg] - row["px_" + leg]) * self.inst[row[leg]]["multiplier"] for leg in ("y", "x"))
        pnl -= row["comm"] + row["slip"] + row["borrow"]
        self.trades.append(dict(k=row["k"], side=row["side"], entry_signal=row["entry_signal"], entry_fill=row["entry_fill"],
                                exit_fill=fill_t, reason=reason, units_y=row["units_y"], units_x=row["units_x"], pnl=pnl))
        row["side"] = 0

    def upnl(self, row, t):
        pnl = sum(row["units_" + leg] * (self.close[row[leg]][t] - row["px_" + leg]) * self.inst[row[leg]]["multiplier"]
                  for leg in ("y", "x"))
        return pnl - row["comm"] - row["slip"] - row["borrow"]

    def decide_exits(self, t):
        p = self.p
        for row in self.rows:
            if not row["side"]:
                continue
            z, side, reason = self.zscore(row, t), row["side"], None
            if t >= row["end"] - 1:
                reason = "window_end"
            elif not math.isnan(z) and side * z <= -p.stop_z:
                reason = "stop_z"
            elif not math.isnan(z) and side * z >= -p.exit_z:
                reason = "signal"
            elif p.pnl_stop > 0 and self.upnl(row, t) <= -p.pnl_stop * row["notional"]:
                reason = "stop_pnl"
            elif t - row["entry_signal"] >= self.max_hold(row):
                reason = "stop_time"
            if reason:
                row["order"] = ("exit", {"reason": reason})
                if reason.startswith("stop"):
                    row["cool_until"] = t + p.cooldown_days + 1

    def max_hold(self, row):
        limits = [math.inf]
        if self.p.max_holding_days > 0:
            limits.append(self.p.max_holding_days)
        hl = row.get("half_life", math.nan)
        if self.p.max_holding_halflives > 0 and hl > 0 and math.isfinite(hl):
            limits.append(max(1, math.ceil(self.p.max_holding_halflives * hl)))
        return min(limits)

    def projected(self):
        book = dict(self.units)
        for row in self.rows:
            if row["order"] and row["order"][0] == "exit":
                book[row["y"]] -= row["units_y"]
                book[row["x"]] -= row["units_x"]
            elif row["order"]:
                book[row["y"]] += row["order"][1]["uy"]
                book[row["x"]] += row["order"][1]["ux"]
        return book

    def leg_sum(self, instrument):
        total = 0.0
        for row in self.rows:
            holding = row["side"] and not (row["order"] and row["order"][0] == "exit")
            entering = row["order"] and row["order"][0] == "enter"
            for leg in ("y", "x"):
                if row[leg] == instrument and holding:
                    total += abs(row["units_" + leg])
                if row[leg] == instrument and entering:
                    total += abs(row["order"][1]["u" + leg])
        return total

    def decide_entries(self, t, eq):
        p = self.p
        for row in self.rows:
            if row["side"] or row["order"] or not row["start"] <= t <= row["end"] - 2 or t < row["cool_until"]:
                continue
            z = self.zscore(row, t)
            if math.isnan(z):
                continue
            side = 1 if -p.stop_z < z <= -p.entry_z else (-1 if p.entry_z <= z < p.stop_z else 0)
            if side == 0:
                continue
            reason, order = self.check_entry(row, t, side, eq)
            if reason:
                self.refusals.append(dict(t=t, k=row["k"], side=side, reason=reason))
            else:
                row["order"] = ("enter", order)
                row["entry_signal"] = t

    def check_entry(self, row, t, side, eq):
        p, lim = self.p, self.lim
        if self.allow is not None and not self.allow[t, row["k"]]:
            return "ml_filter", None
        if lim.max_drawdown is not None and eq <= self.peak * (1 - lim.max_drawdown):
            return "drawdown_halt", None
        if eq <= 0:
            return "no_capital", None
        n_open = sum(1 for r in self.rows if (r["side"] and not (r["order"] and r["order"][0] == "exit"))
                     or (r["order"] and r["order"][0] == "enter"))
        if lim.max_open_pairs is not None and n_open >= lim.max_open_pairs:
            return "max_open_pairs", None
        beta = self.dynamic(row, t)[0] if p.dynamic_hedge else row["beta"]
        val = {leg: self.close[row[leg]][t] * self.inst[row[leg]]["multiplier"] for leg in ("y", "x")}
        notional = p.pair_capital * eq / (1 + abs(beta))
        if p.sizing == "vol_target":
            vol = self.spread_vol(row, t)
            if not vol > 0:
                return "no_volatility_estimate", None
            notional = min(p.vol_target * eq / (vol * math.sqrt(252)), notional)
        uy = side * _round_lot(notional / val["y"], self.inst[row["y"]]["lot_size"])
        ux = _round_lot(-beta * uy * val["y"] / val["x"], self.inst[row["x"]]["lot_size"])
        if uy == 0 or (ux == 0 and beta != 0):
            return "size_rounds_to_zero", None
        reason = self.check_limits(row, t, uy, ux, eq)
        return reason, dict(side=side, uy=uy, ux=ux, beta=beta)

    def check_limits(self, row, t, uy, ux, eq):
        lim = self.lim
        for leg, u in (("y", uy), ("x", ux)):
            if u < 0 and not self.inst[row[leg]]["shortable"]:
                return "not_shortable"
        before = self.projected()
        after = dict(before)
        after[row["y"]] += uy
        after[row["x"]] += ux
        value = lambda book, i: book[i] * self.close[i][t] * self.inst[i]["multiplier"] if book[i] else 0.0  # noqa: E731
        g0, g1 = sum(abs(value(before, i)) for i in before), sum(abs(value(after, i)) for i in after)
        if g1 > lim.max_gross * eq and g1 > g0:
            return "gross_limit"
        n0, n1 = abs(sum(value(before, i) for i in before)), abs(sum(value(after, i) for i in after))
        if n1 > lim.max_net * eq and n1 > n0:
            return "net_limit"
        for leg, u in (("y", uy), ("x", ux)):
            i = row[leg]
            if (self.leg_sum(i) + abs(u)) * self.close[i][t] * self.inst[i]["multiplier"] > lim.max_instrument * eq:
                return "instrument_limit"
        for cls, cap in lim.max_class_gross.items():
            c0 = sum(abs(value(before, i)) for i in before if self.inst[i]["asset_class"] == cls)
            c1 = sum(abs(value(after, i)) for i in after if self.inst[i]["asset_class"] == cls)
            if c1 > cap * eq and c1 > c0:
                return "asset_class_limit"
        return None
