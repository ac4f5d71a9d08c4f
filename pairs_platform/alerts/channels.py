"""Where alerts go: the log (default), email over SMTP, and a JSON webhook. One protocol."""
from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from pairs_platform.alerts.model import Alert, Severity

logger = logging.getLogger("pairs_platform.alerts")

_LOG_LEVELS = {Severity.INFO: logging.INFO, Severity.WARNING: logging.WARNING,
               Severity.CRITICAL: logging.ERROR}


@runtime_checkable
class AlertChannel(Protocol):
    """Something that delivers an alert; raises on failure (the dispatcher records it)."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver ``alert``."""
        ...


class LogChannel:
    """Writes alerts to the ``pairs_platform.alerts`` logger (the default channel)."""

    name = "log"

    def send(self, alert: Alert) -> None:
        logger.log(_LOG_LEVELS[alert.severity], "[%s] %s: %s", alert.severity.value.upper(), alert.title,
                   alert.body)


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP server and envelope; ``username`` empty means no login."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.host or not self.sender or not self.recipients:
            raise ValueError("email alerts need PAIRS_ALERT_SMTP_HOST, PAIRS_ALERT_SMTP_FROM and "
                             "PAIRS_ALERT_SMTP_TO (comma-separated); one of them is empty")


class EmailChannel:
    """Sends each alert as a plain-text email."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, alert: Alert) -> None:
        s = self.settings
        message = EmailMessage()
        message["Subject"] = f"[pairs_platform {alert.severity.value.upper()}] {alert.title}"
        message["From"] = s.sender
        message["To"] = ", ".join(s.recipients)
        message["X-Pairs-Dedupe-Key"] = alert.dedupe_key
        message.set_content(f"{alert.body}\n\nkind: {alert.kind.value}\nat: {alert.created_at.isoformat()} UTC\n")
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username:
                smtp.login(s.username, s.password)
            smtp.send_message(message)


class WebhookChannel:
    """POSTs each alert as JSON (``Alert.as_dict``) to an http(s) URL; a non-2xx answer raises."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"PAIRS_ALERT_WEBHOOK_URL={url!r} must be an http:// or https:// URL")
        self.url, self.timeout = url, timeout

    def send(self, alert: Alert) -> None:
        request = urllib.request.Request(
            self.url, data=json.dumps(alert.as_dict()).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "pairs_platform-alerts"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (scheme checked)
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook {self.url} answered HTTP {response.status}")
