"""Enabling/disabling a plugin in one process reaches a running web server within 2 s.

Two real processes on one SQLite database: `kehu run` (web, plus the worker it starts) and
the `kehu plugins enable|disable` command. The server runs with the default PLUGIN_STATE_TTL
(1 s). Needs no service.
"""
import time

import pytest

PROPAGATION_LIMIT = 2.0  # seconds from the CLI command returning
POLL_INTERVAL = 0.1


def _seconds_until(web_site, path, status):
    """Poll every 100 ms; seconds until ``path`` answers ``status`` (fails after the limit)."""
    started = time.monotonic()
    seen = []
    while True:
        got, body = web_site.get(path)
        elapsed = time.monotonic() - started
        if got == status:
            return elapsed, body
        seen.append(got)
        if elapsed > PROPAGATION_LIMIT:
            pytest.fail(f"{path} still answered {got} (not {status}) {elapsed:.2f} s after the CLI returned; "
                        f"statuses seen: {seen}\n{web_site.process.log_tail()}")
        time.sleep(POLL_INTERVAL)


def test_plugin_state_change_reaches_a_running_server_within_two_seconds(web_site):
    assert web_site.get("/sample/ping")[0] == 404  # installed but disabled

    web_site.kehu("plugins", "enable", "sample")
    elapsed, body = _seconds_until(web_site, "/sample/ping", 200)
    assert "greeting" in body
    print(f"enabled: 200 after {elapsed:.2f} s")

    web_site.kehu("plugins", "disable", "sample")
    elapsed, _ = _seconds_until(web_site, "/sample/ping", 404)
    print(f"disabled: 404 after {elapsed:.2f} s")
