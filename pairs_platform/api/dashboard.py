"""The server-rendered dashboard (Jinja2, no JavaScript): one page, every section of the desk."""
from __future__ import annotations

import math
from pathlib import Path

import jinja2

from pairs_platform.api.desk import Desk

TEMPLATES = Path(__file__).with_name("templates")
CHART_W, CHART_H, PAD = 720, 220, 40
REFUSALS_SHOWN = 20


def money(value: float | None) -> str:
    """``$1,234,567.89`` (``-$12.30`` for negatives, ``–`` for missing)."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def pct(value: float | None) -> str:
    """``12.34%`` of a fraction ``0.1234`` (``–`` for missing)."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.2%}"


def number(value: float | None, digits: int = 2) -> str:
    """A plain number with thousands separators."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.{digits}f}"


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined)
_env.filters.update(money=money, pct=pct, number=number)


def _polyline(values: list[float | None], lo: float, hi: float, height: float, top: float) -> str:
    n = len(values)
    span = (hi - lo) or 1.0
    points = []
    for i, v in enumerate(values):  # one point per session of the paper/live period (a few hundred)
        if v is None:
            continue
        x = PAD + (CHART_W - 2 * PAD) * (i / max(n - 1, 1))
        y = top + height * (1 - (v - lo) / span)
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


def pnl_chart(points) -> dict:
    """Coordinates of the inline SVG: cumulative P&L (live vs backtest) on top, drawdown below."""
    if not points:
        return {}
    live = [p.cumulative_pnl for p in points]
    bench = [p.backtest_cumulative_pnl for p in points]
    both = live + [b for b in bench if b is not None]
    lo, hi = min(both + [0.0]), max(both + [0.0])
    dd = [p.drawdown for p in points]
    top_h, dd_h = CHART_H * 0.62, CHART_H * 0.25
    return {"width": CHART_W, "height": CHART_H + 30, "pad": PAD, "top_h": top_h,
            "live": _polyline(live, lo, hi, top_h, 10), "bench": _polyline(bench, lo, hi, top_h, 10),
            "zero_y": 10 + top_h * (1 - (0 - lo) / ((hi - lo) or 1.0)),
            "dd": _polyline(dd, min(dd + [-1e-9]), 0.0, dd_h, CHART_H * 0.7 + 10), "dd_top": CHART_H * 0.7 + 10,
            "lo": lo, "hi": hi, "min_dd": min(dd), "first": points[0].date, "last": points[-1].date}


def render_dashboard(desk: Desk, message: str = "", writes_enabled: bool = False) -> str:
    """The dashboard HTML."""
    session = desk.latest_order_session()
    pnl = desk.pnl()
    return _env.get_template("dashboard.html").render(
        state=desk.trading_state(limit=10), positions=desk.positions(), exposure=desk.exposure(),
        orders=desk.orders(session) if session is not None else None, order_session=session, pnl=pnl,
        refusals=list(reversed(desk.orders().refusals))[:REFUSALS_SHOWN],
        chart=pnl_chart(pnl.points), alerts=desk.recent_alerts(20).alerts, freshness=desk.freshness(),
        model=desk.model_health(), universe=desk.universe(), message=message, writes_enabled=writes_enabled)
