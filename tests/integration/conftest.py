"""Real-process integration tests: ``kehu`` subprocesses, real brokers, no mocks of our code.

Fixtures here:
- ``site_database(tmp_dir)`` (session): a fresh, migrated database (the ``sample`` plugin
  disabled) per call. `kehu db upgrade` runs once per session into a template that is copied
  (SQLite file, or ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL when KEHU_TEST_DATABASE_URL
  is set; those databases are dropped at the end of the session).
- ``redis_broker`` (module): an empty Redis database claimed for this test run (skips with the
  reason when Redis or the redis client is missing); flushed afterwards.
- ``make_site(name, broker_url)`` (module): database + `kehu plugins enable sample` + a real
  `kehu worker` + an app in this process built from the same KEHU_* environment.
Every wait is bounded; every process is started in its own session and its whole process
group is killed at the end, so no worker children outlive the tests.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from kehu_sdk.testing import empty_redis_database

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PLUGIN_PATH = REPO / "tests" / "sample_plugin"
REDIS_DBS = (11, 12, 13, 14, 15, 8, 9, 10)  # tried in this order; only an empty one is used
CLI_TIMEOUT = 120  # one `kehu` command (imports take a few seconds on a loaded machine)
STOP_TIMEOUT = 10  # warm shutdown before SIGKILL

if os.name != "posix":  # process groups and signals below are POSIX
    pytest.skip("the real-process tests need a POSIX system", allow_module_level=True)


# processes ---------------------------------------------------------------------------------
def kehu_env(instance: Path, database_url: str, broker_url: str, **extra: str) -> dict:
    """The environment of a `kehu` process: exactly these KEHU_* variables, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    env.update({
        "KEHU_INSTANCE_PATH": str(instance),
        "KEHU_DATABASE_URL": database_url,
        "KEHU_BROKER_URL": broker_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SAMPLE_PLUGIN_PATH), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        **extra,
    })
    return env


def kehu_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "kehu.cli", *args]


def run_kehu(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run one `kehu` command to completion; fails the test with its output when it fails."""
    try:
        done = subprocess.run(kehu_argv(*args), env=env, cwd=env["KEHU_INSTANCE_PATH"], capture_output=True,
                              text=True, timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`kehu {' '.join(args)}` did not finish within {CLI_TIMEOUT} s:\n{exc.stdout}\n{exc.stderr}")
    assert done.returncode == 0, f"`kehu {' '.join(args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


class KehuProcess:
    """A long-running `kehu` subprocess (worker, serve) with its output in a log file."""

    def __init__(self, env: dict, log_path: Path, *args: str):
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(kehu_argv(*args), env=env, cwd=env["KEHU_INSTANCE_PATH"],
                                      stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)  # its own process group: see terminate()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return f"--- last lines of `kehu {' '.join(self.args)}` ({self.log_path}) ---\n" + \
            "\n".join(self.log().splitlines()[-lines:])

    def terminate(self) -> None:
        """SIGTERM to the whole process group: Celery's warm shutdown (returns at once)."""
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)  # start_new_session: group id == leader's pid
        except ProcessLookupError:
            pass

    def reap(self) -> None:
        """Wait for the warm shutdown, then SIGKILL whatever is left of the group."""
        try:
            self.popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        try:  # also kills children that outlived their leader (prefork pool, serve's worker)
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=STOP_TIMEOUT)
        self._log.close()

    def stop(self) -> None:
        self.terminate()
        self.reap()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1, diagnostics=lambda: ""):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{diagnostics()}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 1.0):
    """(status, body) of a GET, or (None, error) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return None, str(exc)


# databases ---------------------------------------------------------------------------------
class DatabaseFactory:
    """Fresh migrated databases copied from one template made by `kehu db upgrade`."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.server = os.environ.get("KEHU_TEST_DATABASE_URL")
        self._admin = None
        self._created: list[str] = []
        if self.server:
            self._admin = create_engine(make_url(self.server), isolation_level="AUTOCOMMIT")
            self.template = self._create_server_database()
            template_url = self._url(self.template)
        else:
            self.template = workdir / "template.sqlite"
            template_url = f"sqlite:///{self.template}"
        instance = workdir / "template-instance"
        instance.mkdir()
        run_kehu(kehu_env(instance, template_url, f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"),
                 "db", "upgrade")

    def _url(self, name: str) -> str:
        return make_url(self.server).set(database=name).render_as_string(hide_password=False)

    def _create_server_database(self, template: str | None = None) -> str:
        name = f"kehu_it_{uuid.uuid4().hex[:10]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self._created.append(name)
        return name

    def new(self, directory: Path) -> str:
        if self.server:
            return self._url(self._create_server_database(template=self.template))
        path = directory / "kehu.sqlite"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            for name in reversed(self._created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def site_database(tmp_path_factory):
    """``site_database(directory)`` -> URL of a fresh migrated database (sample disabled)."""
    factory = DatabaseFactory(tmp_path_factory.mktemp("db-template"))
    yield factory.new
    factory.drop_all()


@pytest.fixture(scope="session")
def process_reaper(site_database):
    """``process_reaper(process)``: SIGTERM now, wait/SIGKILL at the end of the session.

    Celery's warm shutdown takes seconds (about 5 on the embedded broker); waiting for it
    at the end lets it overlap with the tests that follow. Torn down before the databases.
    """
    terminated = []

    def stop_later(process: KehuProcess) -> None:
        process.terminate()
        terminated.append(process)

    yield stop_later
    for process in terminated:
        process.reap()


# Redis -------------------------------------------------------------------------------------
class RedisBroker:
    def __init__(self, url: str, client):
        self.url = url
        self.client = client

    def queue_drained(self) -> bool:
        """Nothing waiting in the default queue and nothing delivered but unacknowledged."""
        return self.client.llen("celery") == 0 and self.client.hlen("unacked") == 0


@pytest.fixture(scope="module")
def redis_broker():
    """An empty Redis database claimed for this test run (parallel runs use different ones)."""
    with empty_redis_database(REDIS_DBS) as (url, client):
        yield RedisBroker(url, client)


# sites: database + worker + an app in this process -------------------------------------------
@contextmanager
def app_from_env(env: dict):
    """create_app() in this process with exactly the KEHU_* variables of ``env``.

    Each Celery app makes itself Celery's process-wide current/default app; those are put back
    afterwards so the eager-mode apps of other tests in this session are not affected.
    """
    import celery._state

    from kehu.app import create_app
    from kehu.extensions import db

    previous_current, previous_default = celery._state.get_current_app(), celery._state.default_app
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("KEHU_")]:
            mp.delenv(key)
        for key, value in env.items():
            if key.startswith("KEHU_"):
                mp.setenv(key, value)
        app = create_app()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        app.extensions["celery"].close()
        if previous_default is not None:
            previous_default.set_default()
        previous_current.set_current()


class Site:
    """One kehu installation: its database, a real `kehu worker`, and ``app`` in this process."""

    RECORD_NOTE = "kehu.sample.record_note"

    def __init__(self, app, worker: KehuProcess):
        self.app = app
        self.worker = worker

    def wait_for(self, predicate, timeout: float, what: str, interval: float = 0.1):
        def checked():
            if not self.worker.alive():
                pytest.fail(f"the worker exited with {self.worker.popen.returncode} while waiting for {what}\n"
                            f"{self.worker.log_tail()}")
            return predicate()

        return wait_for(checked, timeout, what, interval, diagnostics=self.worker.log_tail)

    # reading the database without holding a transaction open (SQLite writers would wait)
    def note_texts(self, prefix: str) -> list[str]:
        from kehu_sample.models import SampleNote

        from kehu.extensions import db
        with self.app.app_context(), db.engine.connect() as conn:
            return sorted(conn.scalars(select(SampleNote.text).where(SampleNote.text.startswith(prefix))))

    def outbox(self, ids) -> dict:
        """{outbox id: (relayed_at, attempts)} of these ids."""
        from kehu.extensions import db
        from kehu.platform.outbox import OutboxMessage
        with self.app.app_context(), db.engine.connect() as conn:
            rows = conn.execute(select(OutboxMessage.id, OutboxMessage.relayed_at, OutboxMessage.attempts)
                                .where(OutboxMessage.id.in_(list(ids))))
            return {r.id: (r.relayed_at, r.attempts) for r in rows}

    def consumptions(self, ids) -> int:
        from kehu.extensions import db
        from kehu.platform.outbox import OutboxConsumption
        with self.app.app_context(), db.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(OutboxConsumption)
                               .where(OutboxConsumption.outbox_id.in_(list(ids)),
                                      OutboxConsumption.consumer == self.RECORD_NOTE))

    # the round trip both broker tests check
    def enqueue_notes(self, prefix: str, count: int) -> dict:
        """``count`` outbox rows for record_note in ONE transaction; returns {id: payload}."""
        from kehu.extensions import db
        from kehu.platform.outbox import enqueue
        with self.app.app_context():
            rows = [enqueue(self.RECORD_NOTE, {"customer_id": i, "text": f"{prefix}-{i:02d}"})
                    for i in range(count)]
            sent = {row.id: dict(row.payload) for row in rows}
            db.session.commit()  # KehuSession kicks the relay after the commit
            db.session.remove()
        return sent

    def assert_one_note_per_row(self, prefix: str, sent: dict, timeout: float = 30) -> None:
        expected = sorted(payload["text"] for payload in sent.values())
        self.wait_for(lambda: self.note_texts(prefix) == expected
                      and all(relayed for relayed, _ in self.outbox(sent).values()),
                      timeout, f"{len(sent)} notes '{prefix}-*' and every outbox row relayed")
        assert self.note_texts(prefix) == expected  # exactly one each, nothing extra
        assert self.consumptions(sent) == len(sent)

    def resend(self, sent: dict) -> list[str]:
        """Deliver the same outbox messages again, as a relay retrying after a crash would."""
        celery = self.app.extensions["celery"]
        with self.app.app_context():
            return [celery.send_task(self.RECORD_NOTE, args=[outbox_id, payload]).id
                    for outbox_id, payload in sent.items()]

    def wait_tasks_succeeded(self, task_ids, timeout: float = 20) -> None:
        """Proof the worker really ran these deliveries (they were not merely lost)."""
        def done():
            log = self.worker.log()
            return all(f"{self.RECORD_NOTE}[{task_id}] succeeded" in log for task_id in task_ids)

        self.wait_for(done, timeout, f"the worker to run {len(task_ids)} redelivered tasks")


@pytest.fixture(scope="module")
def make_site(site_database, process_reaper, tmp_path_factory):
    """``make_site(name, broker_url, stop_now=False)`` -> a Site; its worker is stopped after
    the module (``stop_now``: wait for it to exit before later module teardowns, e.g. a broker's)."""
    with_stack = []

    def make(name: str, broker_url: str | None = None, stop_now: bool = False) -> Site:
        root = tmp_path_factory.mktemp(name)
        instance = root / "instance"
        instance.mkdir()
        broker_url = broker_url or f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
        env = kehu_env(instance, site_database(root), broker_url)
        # Enabling (a separate process) and the worker's start-up run side by side.
        enabling = subprocess.Popen(kehu_argv("plugins", "enable", "sample"), env=env, cwd=instance,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        worker = KehuProcess(env, root / "worker.log", "worker", "--verbose")  # the tests read its task lines
        with_stack.append(worker.stop if stop_now else lambda: process_reaper(worker))
        try:
            output, _ = enabling.communicate(timeout=CLI_TIMEOUT)
        except subprocess.TimeoutExpired:
            enabling.kill()
            output, _ = enabling.communicate()
        assert enabling.returncode == 0, f"`kehu plugins enable sample` exited {enabling.returncode}:\n{output}"
        context = app_from_env(env)
        app = context.__enter__()
        with_stack.append(lambda: context.__exit__(None, None, None))
        return Site(app, worker)

    yield make
    for cleanup in reversed(with_stack):
        cleanup()


# a web server -------------------------------------------------------------------------------
SERVER_START_TIMEOUT = 60


class WebSite:
    """`kehu serve` (web plus the embedded worker it starts) on a fresh database."""

    def __init__(self, env: dict, base_url: str, process: KehuProcess):
        self.env = env
        self.base_url = base_url
        self.process = process

    def get(self, path: str):
        """(status, body); status None when nothing answers."""
        if not self.process.alive():
            pytest.fail(f"`kehu serve` exited with {self.process.popen.returncode}\n{self.process.log_tail()}")
        return http_status(self.base_url + path)

    def kehu(self, *args: str) -> subprocess.CompletedProcess:
        """Run a `kehu` command as a separate process on the same site."""
        return run_kehu(self.env, *args)


@pytest.fixture
def web_site(site_database, process_reaper, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    env = kehu_env(instance, site_database(tmp_path), f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}")
    port = free_port()
    process = KehuProcess(env, tmp_path / "run.log", "run", "--port", str(port))
    try:
        site = WebSite(env, f"http://127.0.0.1:{port}", process)
        wait_for(lambda: site.get("/")[0] is not None, SERVER_START_TIMEOUT,
                 f"`kehu serve` to answer on port {port}", interval=0.2, diagnostics=process.log_tail)
        yield site
    finally:
        process_reaper(process)
