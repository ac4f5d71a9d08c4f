"""Send alerts: deduplicated (same key within a window), rate-limited per channel, always recorded.

Configuration comes from the environment only (:func:`alert_manager_from_env`):

- ``PAIRS_ALERT_SMTP_HOST``, ``PAIRS_ALERT_SMTP_PORT`` (25), ``PAIRS_ALERT_SMTP_FROM``, ``PAIRS_ALERT_SMTP_TO``
  (comma-separated), ``PAIRS_ALERT_SMTP_USER``, ``PAIRS_ALERT_SMTP_PASSWORD``, ``PAIRS_ALERT_SMTP_STARTTLS``;
- ``PAIRS_ALERT_WEBHOOK_URL``;
- ``PAIRS_ALERT_DEDUPE_SECONDS`` (1800) and ``PAIRS_ALERT_MAX_PER_MINUTE`` (10, per channel).

With nothing configured, alerts go to the log (and to the recorder, which the dashboard reads).
"""
from __future__ import annotations

import collections
import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from pairs_platform.alerts.channels import AlertChannel, EmailChannel, LogChannel, SmtpSettings, WebhookChannel
from pairs_platform.alerts.model import Alert
from pairs_platform.alerts.recorder import SENT, AlertRecord, AlertRecorder

logger = logging.getLogger("pairs_platform.alerts")

DUPLICATE = "suppressed: duplicate"
RATE_LIMITED = "suppressed: rate limit"
FAILED = "failed"


@dataclass(frozen=True)
class AlertPolicy:
    """Dedupe window and per-channel rate limit."""

    dedupe_window: dt.timedelta = dt.timedelta(minutes=30)
    max_per_minute: int = 10

    def __post_init__(self) -> None:
        if self.max_per_minute < 1 or self.dedupe_window < dt.timedelta(0):
            raise ValueError(f"alert policy needs max_per_minute >= 1 and a non-negative dedupe window, got {self}")


class AlertManager:
    """Dispatches alerts to channels under an :class:`AlertPolicy` and records every one."""

    def __init__(self, channels: Sequence[AlertChannel], recorder: AlertRecorder,
                 policy: AlertPolicy = AlertPolicy(), clock: Callable[[], dt.datetime] | None = None) -> None:
        if not channels:
            raise ValueError("an AlertManager needs at least one channel (LogChannel() is the default)")
        self.channels, self.recorder, self.policy = list(channels), recorder, policy
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
        self._sent: dict[str, collections.deque] = {c.name: collections.deque() for c in self.channels}
        self._lock = threading.Lock()

    @property
    def channel_names(self) -> list[str]:
        """Names of the configured channels, e.g. ``['log', 'email']``."""
        return [c.name for c in self.channels]

    def notify(self, alert: Alert) -> AlertRecord:
        """Send ``alert`` unless it duplicates one sent within the window; record the outcome."""
        with self._lock:
            last = self.recorder.last_sent(alert.dedupe_key)
            if last is not None and alert.created_at - last < self.policy.dedupe_window:
                return self.recorder.record(alert, DUPLICATE, "")
            outcomes = [f"{c.name}:{self._deliver(c, alert)}" for c in self.channels]
        delivered = any(o.endswith(":" + SENT) for o in outcomes)
        limited = all(o.endswith(":" + RATE_LIMITED) for o in outcomes)
        status = SENT if delivered else (RATE_LIMITED if limited else FAILED)
        return self.recorder.record(alert, status, ",".join(outcomes))

    def _deliver(self, channel: AlertChannel, alert: Alert) -> str:
        now = self._clock()
        window = self._sent[channel.name]
        while window and now - window[0] >= dt.timedelta(minutes=1):
            window.popleft()
        if len(window) >= self.policy.max_per_minute:
            logger.warning("alert %r not sent to %s: rate limit of %d per minute", alert.title, channel.name,
                           self.policy.max_per_minute)
            return RATE_LIMITED
        try:
            channel.send(alert)
        except Exception as exc:  # a failing channel must not stop the others; the record says why
            logger.error("alert %r could not be sent to %s: %s", alert.title, channel.name, exc)
            return f"{FAILED}: {type(exc).__name__}: {exc}"[:200]
        window.append(now)
        return SENT


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise ValueError(f"{name}={raw!r} must be an integer") from exc


def channels_from_env(env: Mapping[str, str] | None = None) -> list[AlertChannel]:
    """The log channel, plus email and/or webhook when their variables are set."""
    env = os.environ if env is None else env
    channels: list[AlertChannel] = [LogChannel()]
    if env.get("PAIRS_ALERT_SMTP_HOST", "").strip():
        recipients = tuple(r.strip() for r in env.get("PAIRS_ALERT_SMTP_TO", "").split(",") if r.strip())
        channels.append(EmailChannel(SmtpSettings(
            host=env["PAIRS_ALERT_SMTP_HOST"].strip(), port=_int(env, "PAIRS_ALERT_SMTP_PORT", 25),
            sender=env.get("PAIRS_ALERT_SMTP_FROM", "").strip(), recipients=recipients,
            username=env.get("PAIRS_ALERT_SMTP_USER", ""), password=env.get("PAIRS_ALERT_SMTP_PASSWORD", ""),
            starttls=env.get("PAIRS_ALERT_SMTP_STARTTLS", "").lower() == "true")))
    if env.get("PAIRS_ALERT_WEBHOOK_URL", "").strip():
        channels.append(WebhookChannel(env["PAIRS_ALERT_WEBHOOK_URL"].strip()))
    return channels


def policy_from_env(env: Mapping[str, str] | None = None) -> AlertPolicy:
    """Dedupe window and rate limit from ``PAIRS_ALERT_DEDUPE_SECONDS`` / ``PAIRS_ALERT_MAX_PER_MINUTE``."""
    env = os.environ if env is None else env
    return AlertPolicy(dt.timedelta(seconds=_int(env, "PAIRS_ALERT_DEDUPE_SECONDS", 1800)),
                       _int(env, "PAIRS_ALERT_MAX_PER_MINUTE", 10))


def alert_manager_from_env(recorder: AlertRecorder, env: Mapping[str, str] | None = None) -> AlertManager:
    """An :class:`AlertManager` configured from the environment, recording into ``recorder``."""
    return AlertManager(channels_from_env(env), recorder, policy_from_env(env))
