"""Memory: the real web server (``kehu run``, its worker beside it) on the benchmark's database,
driven over HTTP with list, search and dashboard requests; the figure is the web process's peak
resident memory (VmHWM in /proc/<pid>/status)."""
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import urlencode

import requests

from kehu.accounts import sessions
from kehu.accounts.models import User
from kehu.extensions import db

import data
from cases import LISTS, PAGE_SIZE, search_queries
from timing import Timing, figure

ROUNDS = 3  # the peak comes in the first round; more rounds only cost time
STARTUP_SECONDS = 90


def _status(pid: int) -> dict[str, int]:
    """VmHWM, VmRSS… of ``pid`` in MB."""
    with open(f"/proc/{pid}/status") as status:
        return {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in status) if v.strip().endswith("kB")}


def _session_cookie(site) -> str:
    """A signed session cookie for a server-side session of the admin (what signing in gives a browser)."""
    app = site.app
    with app.test_request_context():
        key = sessions.start(db.session.get(User, site.admin_id), remember=False)
        db.session.commit()
        return app.session_interface.get_signing_serializer(app).dumps({"_user_id": key, "_fresh": True})


def _start(site, log_path):
    env = dict(os.environ, KEHU_DATABASE_URL=site.url, KEHU_SECRET_KEY=data.SECRET_KEY, KEHU_PII_KEY=data.PII_KEY,
               KEHU_INSTANCE_PATH=site.instance, KEHU_RATELIMIT_ENABLED="0")
    log = open(log_path, "w")
    server = subprocess.Popen([sys.executable, "-m", "kehu.cli", "run", "--host", "127.0.0.1", "--port", "0"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"kehu: web (http://\S+)", open(log_path).read())
        if found:
            return server, found.group(1)
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"kehu run did not start; its output is in {log_path}")


def _stop(server):
    server.send_signal(signal.SIGTERM)  # kehu run stops its worker, then exits
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def memory_case(site) -> list[dict]:
    log_path = os.path.join(site.instance, "kehu-run.log")
    cookie = _session_cookie(site)
    server, base = _start(site, log_path)
    try:
        api, web = requests.Session(), requests.Session()
        api.headers["Authorization"] = f"Bearer {site.token}"
        web.cookies.set("session", cookie)
        first = web.get(f"{base}/dashboard/data", timeout=120)
        assert first.status_code == 200, f"dashboard over HTTP: {first.status_code}"
        at_start = _status(server.pid)
        urls = [(api, f"{base}/api/v1/customers?{urlencode(args + [('page_size', PAGE_SIZE)])}")
                for _, args, _, _ in LISTS if not any(k == "page" for k, _ in args)]
        urls += [(api, f"{base}/api/v1/customers?{urlencode({'q': q, 'page_size': PAGE_SIZE})}")
                 for _, q in search_queries(site)]
        urls += [(web, f"{base}/dashboard/data"), (web, f"{base}/")]
        taken = []
        for _ in range(ROUNDS):
            for client, url in urls:
                began = time.perf_counter()
                response = client.get(url, timeout=120)
                taken.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, f"{url}: {response.status_code}"
        peak = _status(server.pid)
    finally:
        _stop(server)
    found = figure("memory", f"kehu run, {len(taken)} HTTP requests", Timing.of(taken),
                   vmhwm_mb=round(peak["VmHWM"], 1), vmrss_after_first_request_mb=round(at_start["VmRSS"], 1))
    found["value_mb"] = round(peak["VmHWM"], 1)
    return [found]
