"""`kehu run` restarts its worker when it is killed, and the campaign it was sending finishes.

Real processes on the embedded default: `kehu run` (web + the worker it supervises) on a SQLite
database, with the `sqla+sqlite` broker in a fresh instance folder; the Aliyun fake is the provider.
The campaign is started through the web API; its worker is killed with SIGKILL part way. A new
worker must appear within seconds, the campaign finish with every recipient accepted by the provider
exactly once and marked sent, and `kehu run` keep serving (and stop cleanly afterwards).

The embedded broker does not redeliver the killed task (kombu's SQLAlchemy transport keeps a
delivered message invisible for good, whatever acks_late says): the SMS sweep of the new worker's
beat restarts the stalled campaign, and reconciliation settles what the dead worker had claimed.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kehu_sdk.db import db

from killed_workers import RESTART_SETTINGS, CampaignProgress, assert_each_recipient_sent_once, draft_campaign, wait_for
from sms_fakes import FakeAliyunSms

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get("KEHU_TEST_DATABASE_URL")),
                       reason="runs once, in the SQLite pass: it tests kehu run's embedded mode, where the "
                              "database does not matter (KEHU_TEST_DATABASE_URL is set: the PostgreSQL pass)"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the worker through /proc (Linux)"),
]

RECIPIENTS = 60
RATE = 15.0            # messages per second: the campaign takes about four seconds of sending
KILL_AFTER = 15        # accepted by the provider
RESTART_WITHIN = 10.0  # seconds from the kill to a new worker process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class KehuRun:
    """`kehu run --port PORT` in its own session, its output in a log file."""

    def __init__(self, env: dict, port: int, log_path: Path):
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen([sys.executable, "-m", "kehu.cli", "run", "--port", str(port)], env=env,
                                      cwd=env["KEHU_INSTANCE_PATH"], stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def worker_pid(self) -> int | None:
        """The `kehu worker` child of `kehu run` (any of its threads may have started it)."""
        pids = []
        for children in Path(f"/proc/{self.popen.pid}/task").glob("*/children"):
            try:
                pids += [int(pid) for pid in children.read_text().split()]
            except FileNotFoundError:  # a thread that just ended
                continue
        for pid in pids:
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                continue
            if b"worker" in argv and state != "Z":
                return pid
        return None

    def request(self, method: str, path: str, token: str | None = None):
        """(status, JSON or text); status None when nothing answers."""
        request = urllib.request.Request(self.base_url + path, method=method,
                                         headers={"Authorization": token} if token else {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            return None, str(exc)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        return f"--- last lines of kehu run ({self.log_path}) ---\n" + "\n".join(self.log().splitlines()[-lines:])

    def stop(self) -> int:
        """SIGTERM (what a service manager sends); SIGKILL to the group if it hangs. The exit code."""
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            return self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            return self.popen.wait(timeout=10)
        finally:
            self._log.close()


def test_kehu_run_restarts_a_killed_worker_and_the_campaign_finishes(
        app, kehu_database_url, sms_user, make_customer, make_user, save_settings, provider_settings,
        api_client_as, tmp_path):
    fake = FakeAliyunSms(rate_limit=RATE * 2).start()
    try:
        save_settings(**provider_settings("aliyun", fake), rate_limit_per_second=RATE, batch_size=5,
                      **RESTART_SETTINGS)
        campaign, marketer = draft_campaign("kehu-run-kill-9", RECIPIENTS, make_customer, make_user, sms_user)
        db.session.commit()
        campaign_id = campaign.id
        token = api_client_as(marketer).environ_base["HTTP_AUTHORIZATION"]  # "Bearer …", valid on any process
        db.session.remove()
        progress = CampaignProgress(kehu_database_url, campaign_id)

        instance = tmp_path / "instance"
        instance.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}  # no broker: the embedded one
        env.update(KEHU_INSTANCE_PATH=str(instance), KEHU_DATABASE_URL=kehu_database_url,
                   KEHU_SECRET_KEY=app.config["SECRET_KEY"], KEHU_PII_KEY=app.config["KEHU_PII_KEY"],
                   KEHU_PLUGIN_STATE_TTL="0.5", PYTHONUNBUFFERED="1")
        run = KehuRun(env, free_port(), tmp_path / "run.log")
        try:
            wait_for(lambda: run.request("GET", "/login")[0] == 200, 60, "kehu run to answer", run.tail)
            first = wait_for(run.worker_pid, 30, "the worker", run.tail)

            status, body = run.request("POST", f"/api/v1/sms/campaigns/{campaign_id}/start", token)
            assert status == 200, body
            wait_for(lambda: len(fake.received()) >= KILL_AFTER, 60, f"{KILL_AFTER} messages sent", run.tail)
            os.kill(first, signal.SIGKILL)
            killed_at = time.monotonic()
            assert len(fake.received()) < RECIPIENTS, "the campaign finished before the worker was killed"

            def new_worker():
                pid = run.worker_pid()
                return pid if pid not in (None, first) else None

            second = wait_for(new_worker, RESTART_WITHIN, "a new worker", run.tail)
            print(f"new worker {second} {time.monotonic() - killed_at:.1f} s after the kill of {first}")
            wait_for(lambda: progress.status() == "done", 60, "the campaign to finish",
                     lambda: run.tail() + f"\nsent={progress.count('sent')} received={len(fake.received())}")
            print(f"campaign done {time.monotonic() - killed_at:.1f} s after the kill")

            status, body = run.request("GET", f"/api/v1/sms/campaigns/{campaign_id}/progress", token)
            assert status == 200 and body["done"] == RECIPIENTS, body  # the web served throughout
            assert run.worker_pid() == second  # one restart, no crash loop
            assert f"worker (pid {first}) killed by SIGKILL" in run.log()
        finally:
            exit_code = run.stop()
        assert exit_code == 128 + signal.SIGTERM, run.tail()
        wait_for(lambda: not group_alive(second), 5, "the worker and its beat to stop with kehu run")

        assert_each_recipient_sent_once(fake, progress, RECIPIENTS)
        progress.close()
    finally:
        fake.stop()
