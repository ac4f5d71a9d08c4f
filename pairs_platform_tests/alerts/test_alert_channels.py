"""Alerts: builders, dedupe, rate limit, recorders, and real SMTP / HTTP servers on loopback."""
from __future__ import annotations

import datetime as dt
import email
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from pairs_platform.alerts import (
    AlertManager, AlertPolicy, EmailChannel, InMemoryAlertRecorder, LogChannel, SmtpSettings, SqlAlertRecorder,
    WebhookChannel, asset_check_failed, channels_from_env, drawdown_breach, reconciliation_mismatch, run_failure,
    stale_data, trading_state_changed,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 5, 12, 0)

    def __call__(self) -> dt.datetime:
        return self.now


class _Failing:
    name = "broken"

    def send(self, alert) -> None:
        raise ConnectionError("no route")


def test_builders_give_titles_severities_and_keys():
    halted = trading_state_changed("halted", "DD > 10%", "risk-desk")
    assert halted.severity == "critical" and "HALTED" in halted.title and "risk-desk" in halted.body
    assert trading_state_changed("REDUCING", "x", "a").severity == "warning"
    assert run_failure("daily_pipeline", "r1", "boom").dedupe_key == "run_failure:r1"
    assert asset_check_failed("cleaned_prices", "no_duplicate_bars", "2 dupes").severity == "warning"
    assert "2 session(s)" in stale_data(dt.date(2026, 1, 2), dt.date(2026, 1, 6), 2).body
    mismatch = reconciliation_mismatch({"EQ:B": (1.0, 0.0), "EQ:A": (5.0, 4.0)}, "ib")
    assert mismatch.body.splitlines()[0].startswith("EQ:A") and mismatch.dedupe_key == "reconciliation:ib:EQ:A,EQ:B"
    assert "12.00%" in drawdown_breach(0.12, 0.10, "pairs_v1").title
    with pytest.raises(ValueError, match="trading state"):
        trading_state_changed("PAUSED", "x", "a")
    with pytest.raises(ValueError, match="at least one"):
        reconciliation_mismatch({}, "ib")


def test_same_key_within_window_is_sent_once_and_recorded_twice():
    recorder = InMemoryAlertRecorder()
    manager = AlertManager([LogChannel()], recorder, AlertPolicy(dt.timedelta(minutes=30), 100))
    first = manager.notify(run_failure("job", "r1", "boom"))
    second = manager.notify(run_failure("job", "r1", "boom"))
    other = manager.notify(run_failure("job", "r2", "boom"))
    assert (first.status, second.status, other.status) == ("sent", "suppressed: duplicate", "sent")
    assert len(recorder.recent()) == 3 and recorder.counts()[("run_failure", "sent")] == 2


def test_rate_limit_per_channel_per_minute():
    clock, recorder = _Clock(), InMemoryAlertRecorder()
    manager = AlertManager([LogChannel()], recorder, AlertPolicy(dt.timedelta(0), 2), clock=clock)
    statuses = [manager.notify(run_failure("job", f"r{i}", "x")).status for i in range(3)]
    assert statuses == ["sent", "sent", "suppressed: rate limit"]
    clock.now += dt.timedelta(seconds=61)
    assert manager.notify(run_failure("job", "r9", "x")).status == "sent"


def test_a_failing_channel_is_recorded_and_does_not_stop_the_others():
    recorder = InMemoryAlertRecorder()
    record = AlertManager([_Failing(), LogChannel()], recorder).notify(run_failure("j", "r", "e"))
    assert record.status == "sent" and "broken:failed: ConnectionError: no route" in record.channels
    only_failing = AlertManager([_Failing()], recorder).notify(run_failure("j", "r2", "e"))
    assert only_failing.status == "failed"


def test_sql_recorder_round_trip_and_dedupe(recorder_url):
    url = recorder_url
    recorder = SqlAlertRecorder(url)
    SqlAlertRecorder(url)  # a second recorder on the same database shares the table
    manager = AlertManager([LogChannel()], recorder)
    manager.notify(stale_data(None, dt.date(2026, 1, 6), 3))
    assert manager.notify(stale_data(None, dt.date(2026, 1, 6), 3)).status == "suppressed: duplicate"
    recent = recorder.recent()
    assert [r.status for r in recent] == ["suppressed: duplicate", "sent"] and recent[1].kind == "stale_data"
    assert recorder.last_sent("stale_data:2026-01-06") is not None
    assert recorder.counts() == {("stale_data", "sent"): 1, ("stale_data", "suppressed: duplicate"): 1}
    recorder.engine.dispose()


def test_email_over_a_real_smtp_server():
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 Message accepted for delivery"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = EmailChannel(SmtpSettings("127.0.0.1", port, "desk@example.org", ("ops@example.org", "cto@example.org")))
        record = AlertManager([channel], InMemoryAlertRecorder()).notify(drawdown_breach(0.12, 0.1, "pairs_v1"))
    finally:
        controller.stop()
    assert record.status == "sent"
    sender, rcpts, content = received[0]
    message = email.message_from_bytes(content)
    assert sender == "desk@example.org" and rcpts == ["ops@example.org", "cto@example.org"]
    assert message["Subject"].startswith("[pairs_platform CRITICAL]") and "12.00%" in message.get_payload()


def _webhook_server(status: int):
    payloads = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            payloads.append((self.headers["Content-Type"], json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, payloads


def test_webhook_posts_json_to_a_real_http_server():
    server, payloads = _webhook_server(200)
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        record = AlertManager([WebhookChannel(url)], InMemoryAlertRecorder()).notify(run_failure("j", "r1", "boom"))
    finally:
        server.shutdown()
    assert record.status == "sent"
    content_type, body = payloads[0]
    assert content_type == "application/json" and body["kind"] == "run_failure" and body["severity"] == "critical"


def test_webhook_error_status_is_a_failure():
    server, _ = _webhook_server(500)
    try:
        channel = WebhookChannel(f"http://127.0.0.1:{server.server_port}/hook")
        record = AlertManager([channel], InMemoryAlertRecorder()).notify(run_failure("j", "r1", "boom"))
    finally:
        server.shutdown()
    assert record.status == "failed" and "500" in record.channels


def test_configuration_from_environment_only():
    assert [c.name for c in channels_from_env({})] == ["log"]
    env = {"PAIRS_ALERT_SMTP_HOST": "smtp.local", "PAIRS_ALERT_SMTP_PORT": "2525", "PAIRS_ALERT_SMTP_FROM": "a@b",
           "PAIRS_ALERT_SMTP_TO": "x@y, z@w", "PAIRS_ALERT_WEBHOOK_URL": "https://hooks.local/x"}
    channels = channels_from_env(env)
    assert [c.name for c in channels] == ["log", "email", "webhook"]
    assert channels[1].settings.port == 2525 and channels[1].settings.recipients == ("x@y", "z@w")
    with pytest.raises(ValueError, match="PAIRS_ALERT_SMTP_TO"):
        channels_from_env({"PAIRS_ALERT_SMTP_HOST": "h", "PAIRS_ALERT_SMTP_FROM": "a@b"})
    with pytest.raises(ValueError, match="http"):
        channels_from_env({"PAIRS_ALERT_WEBHOOK_URL": "file:///etc/passwd"})
    with pytest.raises(ValueError, match="PAIRS_ALERT_SMTP_PORT"):
        channels_from_env({**env, "PAIRS_ALERT_SMTP_PORT": "x"})


def test_reconciliation_report_alert_carries_the_report_and_a_key_per_finding():
    from pairs_platform.alerts import reconciliation_alert
    from pairs_platform.execution.reconciliation import Difference, ReconciliationReport

    report = ReconciliationReport(dt.datetime(2026, 1, 2, 15), "ib", differences=[
        Difference("position_mismatch", "EQ:KO", "broker holds 150, ledger strategies hold 100", ("s1",)),
        Difference("unknown_order", "EQ:PEP", "broker order 7 is not in the ledger")], halted_scopes=["*", "s1"])
    alert = reconciliation_alert(report)
    assert alert.kind == "reconciliation_mismatch" and alert.severity == "critical"
    assert "HALTED for global, s1" in alert.title and "pairs-platform resume" in alert.body
    assert alert.dedupe_key == "reconciliation:ib:position_mismatch:EQ:KO,unknown_order:EQ:PEP"
    with pytest.raises(ValueError, match="at least one difference"):
        reconciliation_alert(ReconciliationReport(dt.datetime(2026, 1, 2), "ib"))
