"""[operations] the freshness check of cleaned_prices: the newest materialized session against the
session the trading calendar expects by now (``pairs_platform.api.views.expected_session``: the daily
pipeline runs at 18:30 New York time). It runs on its own schedule (``schedules.py``), since a stale
asset is exactly one that does not materialize."""
import datetime as dt

import dagster as dg

from pairs_platform.api.views import expected_session, sessions_behind

PRICES = dg.AssetKey("cleaned_prices")
FRESHNESS_CHECK = "prices_fresh"


def utcnow() -> dt.datetime:
    """The check's clock (tests replace it to stay deterministic)."""
    return dt.datetime.now(dt.UTC)


def last_session(instance: dg.DagsterInstance) -> dt.date | None:
    """The newest materialized partition (session) of cleaned_prices, or None."""
    keys = instance.get_materialized_partitions(PRICES)
    return dt.date.fromisoformat(max(keys)) if keys else None


@dg.asset_check(asset=PRICES, name=FRESHNESS_CHECK, blocking=False,
                description="The newest cleaned-price session is the one the trading calendar expects by now.")
def prices_fresh(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Passes when no session is missing between the newest stored one and the expected one."""
    last, expected = last_session(context.instance), expected_session(utcnow())
    behind = sessions_behind(last, expected)
    return dg.AssetCheckResult(
        passed=behind == 0, severity=dg.AssetCheckSeverity.WARN,
        metadata={"last_session": "never" if last is None else last.isoformat(),
                  "expected_session": expected.isoformat(), "sessions_behind": -1 if behind is None else behind})
