"""Live-trading guard: live orders need the environment, never configuration.

Two conditions, both read from the process environment here (never passed in from run config):

- ``PAIRS_LIVE_TRADING_ENABLED`` is exactly ``true`` (case-insensitive), and
- ``IB_ACCOUNT`` (comma-separated allowlist) names the account the gateway reports as managed.

:func:`ensure_live_enabled` is called before connecting to a broker; :func:`ensure_account_allowed`
after connecting and before any order. A launchpad run config therefore cannot switch live
trading on, nor point it at another endpoint (the connection settings are read from the
environment too, by :func:`pairs_platform.ibkr.client.ib_settings_from_env`).
"""
from __future__ import annotations

import os
from typing import Iterable, Mapping

from pairs_platform.execution.errors import LiveTradingDisabled

LIVE_FLAG_ENV = "PAIRS_LIVE_TRADING_ENABLED"
ACCOUNT_ENV = "IB_ACCOUNT"


def _environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def allowed_accounts(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The account allowlist from ``IB_ACCOUNT`` (comma-separated; blanks ignored)."""
    raw = _environ(env).get(ACCOUNT_ENV, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def ensure_live_enabled(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """Refuse unless ``PAIRS_LIVE_TRADING_ENABLED=true`` and ``IB_ACCOUNT`` is set; return the allowlist.

    ``env`` defaults to ``os.environ`` (tests pass a dict); there is no parameter that can
    switch live trading on.
    """
    environ = _environ(env)
    flag = environ.get(LIVE_FLAG_ENV, "")
    if flag.strip().lower() != "true":
        raise LiveTradingDisabled(
            f"live trading is disabled: {LIVE_FLAG_ENV}={flag!r} in the environment of this "
            f"process; orders would reach a real broker account. Set {LIVE_FLAG_ENV}=true (and "
            f"{ACCOUNT_ENV}=<your account ids>) in the deployment environment only when you mean "
            "it; run configuration cannot enable live trading")
    accounts = allowed_accounts(environ)
    if not accounts:
        raise LiveTradingDisabled(
            f"live trading needs an account allowlist: set {ACCOUNT_ENV} to the comma-separated "
            "account ids this deployment may trade (e.g. U1234567)")
    return accounts


def ensure_account_allowed(reported: Iterable[str], env: Mapping[str, str] | None = None) -> str:
    """Refuse unless every account the gateway manages is in the allowlist; return the account.

    ``reported`` is the gateway's ``managedAccounts()``; a gateway that manages several accounts
    is refused unless all of them are allowlisted (orders could land on any of them).
    """
    accounts = ensure_live_enabled(env)
    managed = sorted({str(a).strip() for a in reported if str(a).strip()})
    if not managed:
        raise LiveTradingDisabled("the gateway reports no managed account; refusing to send orders")
    foreign = [a for a in managed if a not in accounts]
    if foreign:
        raise LiveTradingDisabled(
            f"the gateway manages accounts {managed}, of which {foreign} are not in the allowlist "
            f"{ACCOUNT_ENV}={sorted(accounts)}; connect to the intended gateway or fix {ACCOUNT_ENV}")
    return managed[0]
