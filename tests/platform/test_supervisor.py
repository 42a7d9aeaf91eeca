"""The supervisor of `kehu run`'s worker, on real short-lived subprocesses (nothing mocked).

It restarts a child that exits, after a back-off that doubles up to a cap and starts again from the
first delay after a steady run; ``stop()`` ends the restarting and stops the child (SIGTERM, then
SIGKILL); the group of a dead child (Celery's embedded beat) goes with it.
"""
import logging
import os
import re
import signal
import sys
import time

import pytest

from kehu.platform.supervisor import Supervisor, describe_exit

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and signals are POSIX")

EXIT_3 = [sys.executable, "-c", "import sys; sys.exit(3)"]
SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.INFO, logger="kehu.platform.supervisor")

    def of(level):
        return [r for r in caplog.records if r.name == "kehu.platform.supervisor" and r.levelno == level]

    return of


def restart_delays(warnings) -> list[float]:
    return [float(re.search(r"starting a new one in ([\d.]+) s", r.getMessage()).group(1)) for r in warnings]


def test_a_child_that_keeps_dying_is_restarted_ever_more_slowly_up_to_the_cap(records):
    supervisor = Supervisor(EXIT_3, "crasher", first_delay=0.1, max_delay=0.4, steady_after=30).start()
    try:
        wait_for(lambda: supervisor.starts >= 5, 10, "five starts")
    finally:
        supervisor.stop()
    warnings = records(logging.WARNING)
    assert "crasher (pid " in warnings[0].getMessage()
    assert all("exited with code 3" in w.getMessage() for w in warnings)
    assert restart_delays(warnings)[:4] == [0.1, 0.2, 0.4, 0.4]
    started = [r.created for r in records(logging.INFO) if "started (pid" in r.getMessage()]
    gaps = [later - earlier for earlier, later in zip(started, started[1:])]
    assert all(gap >= delay * 0.95 for gap, delay in zip(gaps, [0.1, 0.2, 0.4, 0.4]))  # it really waited


def test_a_child_that_ran_steadily_is_restarted_after_the_first_delay_again(records):
    short_run = [sys.executable, "-c", "import time; time.sleep(0.3)"]
    supervisor = Supervisor(short_run, first_delay=0.1, max_delay=5, steady_after=0.2).start()
    try:
        wait_for(lambda: supervisor.starts >= 4, 15, "four starts")
    finally:
        supervisor.stop()
    assert set(restart_delays(records(logging.WARNING))) == {0.1}


def test_stop_terminates_the_child_and_nothing_restarts(records):
    supervisor = Supervisor(SLEEP).start()
    wait_for(lambda: supervisor.pid is not None, 10, "the child")
    pid = supervisor.pid
    assert supervisor.stop() == -signal.SIGTERM
    time.sleep(0.3)
    assert supervisor.starts == 1 and supervisor.pid is None
    assert records(logging.WARNING) == []  # an exit it asked for is no crash
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_child_ignoring_sigterm_is_killed_after_the_stop_timeout(records, tmp_path):
    ready = tmp_path / "ready"
    stubborn = [sys.executable, "-c", "import pathlib, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                      f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"]
    supervisor = Supervisor(stubborn, stop_timeout=0.5).start()
    wait_for(ready.exists, 10, "the child to ignore SIGTERM")
    started = time.monotonic()
    assert supervisor.stop() == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - started < 5
    assert "still running 0.5 s after SIGTERM" in records(logging.WARNING)[0].getMessage()


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie nobody reaped yet
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_what_a_killed_child_left_behind_is_killed_before_the_next_start(records, tmp_path):
    """Like Celery's embedded beat: a grandchild in the child's group that survives its SIGKILL."""
    pid_file = tmp_path / "grandchild"
    parent = [sys.executable, "-c", "import pathlib, subprocess, sys, time; "
              f"g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"pathlib.Path({str(pid_file)!r}).write_text(str(g.pid)); time.sleep(60)"]
    supervisor = Supervisor(parent, first_delay=0.2).start()
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text(), 10, "the grandchild")
        grandchild, child = int(pid_file.read_text()), supervisor.pid
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: supervisor.starts == 2, 10, "the second start")
        assert _gone(grandchild)
        assert "killed by SIGKILL" in records(logging.WARNING)[0].getMessage()
    finally:
        supervisor.stop()


def test_exit_descriptions():
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(0) == "exited with code 0"
    assert describe_exit(-9) == "killed by SIGKILL"
