"""Keep one child process running: ``kehu run``'s embedded Celery worker.

A child that exits while nobody asked it to (a crash, the OOM killer, ``kill -9``) is started again
after a back-off — 1 s, doubling while it keeps dying quickly, at most 30 s; back to 1 s once it has
stayed up a minute — so a crash loop does not spin the CPU. ``stop()`` ends the restarting and stops
the child: SIGTERM (Celery's warm shutdown), SIGKILL after 20 s.

Each child leads its own process group, for two reasons: a Ctrl+C in the terminal reaches only
``kehu run``, which then stops the child itself (were the child in the terminal's group it would exit
on the same keystroke and look like a crash); and what a dead child leaves behind is killed with its
group before the next one starts — Celery's embedded beat is a child process of the worker that
outlives a SIGKILLed worker and would go on scheduling beside the new worker's beat.

On Linux each child also gets SIGTERM when the supervisor dies, even by SIGKILL (PR_SET_PDEATHSIG).
"""
import logging
import os
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STEADY_AFTER = 60.0  # a child up this long had no crash loop: the next restart waits FIRST_DELAY again
STOP_TIMEOUT = 20.0


def describe_exit(returncode: int) -> str:
    """``killed by SIGKILL`` / ``exited with code 3`` (Popen's negative return codes are signals)."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _die_with_parent():
    """A ``preexec_fn`` giving the child SIGTERM when the thread that started it ends (Linux), or None.

    libc is loaded here, before any fork: the child of a threaded process should do little before exec.
    """
    if sys.platform != "linux":
        return None
    import ctypes
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec():
        prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl: nobody would signal us
            os._exit(1)

    return preexec


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing of the group is left


class Supervisor:
    """Runs ``argv`` (``Popen`` keyword arguments in ``popen``) from a background thread and restarts
    it whenever it exits before ``stop()``. The thread also owns the child's parent-death signal, so it
    lives until the child is gone."""

    def __init__(self, argv: list[str], name: str = "worker", *, first_delay: float = FIRST_DELAY,
                 max_delay: float = MAX_DELAY, steady_after: float = STEADY_AFTER,
                 stop_timeout: float = STOP_TIMEOUT, **popen):
        self.argv, self.name, self.popen = list(argv), name, popen
        self.first_delay, self.max_delay, self.steady_after = first_delay, max_delay, steady_after
        self.stop_timeout = stop_timeout
        self.starts = 0  # children started so far
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a child is never started after stop() looked for one
        self._preexec = _die_with_parent()
        self._thread = threading.Thread(target=self._watch, name=f"kehu-{name}-supervisor", daemon=True)

    @property
    def pid(self) -> int | None:
        """The pid of the child now running, or None."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self) -> "Supervisor":
        self._thread.start()
        return self

    def _spawn(self) -> subprocess.Popen | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            try:
                self._process = subprocess.Popen(self.argv, start_new_session=True, preexec_fn=self._preexec,
                                                 **self.popen)
            except OSError:
                log.exception("cannot start the %s: %s", self.name, " ".join(self.argv))
                self._process = None
                return None
            self.starts += 1
        log.info("%s started (pid %s)", self.name, self._process.pid)
        return self._process

    def _watch(self) -> None:
        delay = self.first_delay
        while not self._stopping.is_set():
            started = time.monotonic()
            process = self._spawn()
            if process is None and self._stopping.is_set():
                return
            outcome = "could not be started"
            if process is not None:
                process.wait()
                if self._stopping.is_set():
                    return  # stop() is stopping it: an expected exit
                _kill_group(process.pid)  # what it left behind (its beat) must not run beside the next one
                outcome = describe_exit(process.returncode)
            uptime = time.monotonic() - started
            if uptime >= self.steady_after:
                delay = self.first_delay
            log.warning("%s (pid %s) %s after %.1f s; starting a new one in %g s", self.name,
                        process.pid if process else "-", outcome, uptime, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.max_delay)

    def stop(self) -> int | None:
        """No more restarts; SIGTERM to the child, SIGKILL to its group after ``stop_timeout`` s.

        Returns the last child's exit code (None when none was started)."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None:
            if process.poll() is None:
                process.terminate()  # Celery's warm shutdown
                try:
                    process.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    log.warning("%s (pid %s) still running %g s after SIGTERM: killing it", self.name,
                                process.pid, self.stop_timeout)
            _kill_group(process.pid)
            process.wait()
        if self._thread.is_alive():
            self._thread.join()
        return process.returncode if process is not None else None
