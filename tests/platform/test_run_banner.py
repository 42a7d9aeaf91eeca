"""`kehu run` says where it listens — the port it bound, also for --port 0 — and its worker stays
quiet while nothing happens (issue 12, point 10)."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.skipif(bool(os.environ.get("KEHU_TEST_DATABASE_URL")),
                                reason="embedded mode only: the database does not matter "
                                       "(KEHU_TEST_DATABASE_URL is set: the PostgreSQL pass)")


def test_the_banner_names_the_port_bound_and_the_idle_worker_is_quiet(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    env.update(KEHU_INSTANCE_PATH=str(tmp_path / "instance"), KEHU_SECRET_KEY="banner", KEHU_PII_KEY="banner")
    subprocess.run([sys.executable, "-m", "kehu.cli", "db", "upgrade"], env=env, check=True, capture_output=True)
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        run = subprocess.Popen([sys.executable, "-m", "kehu.cli", "run", "--port", "0"], env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, found = time.monotonic() + 30, None
        while found is None and time.monotonic() < deadline:
            found = re.search(r"kehu: web http://127\.0\.0\.1:(\d+)  API docs http://127\.0\.0\.1:\1/api/docs",
                              log.read_text(errors="replace"))
            time.sleep(0.2)
        assert found, log.read_text(errors="replace")
        port = int(found.group(1))
        assert port != 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as answer:
            assert answer.status == 200
        deadline = time.monotonic() + 30
        while "ready" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.3)  # the worker says it is ready; then a quiet minute would show nothing new
        time.sleep(3)
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=40)
    text = log.read_text(errors="replace")
    assert "ready" in text, text
    for noise in ("skipping ", "Scheduler: Sending due task", "] received", "succeeded in"):
        assert noise not in text, noise
