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
    """The newest session of cleaned_prices: the ``last_date`` its newest materialized month recorded."""
    keys = instance.get_materialized_partitions(PRICES)
    if not keys:
        return None
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=PRICES, asset_partitions=[max(keys)]), limit=1, ascending=False).records
    last = records[0].asset_materialization.metadata.get("last_date") if records else None
    return dt.date.fromisoformat(str(last.value)) if last is not None else None


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
