"""Processes the benchmark starts: `manage.py qcluster` (with memory sampling) and pgbench."""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
FAKE_API_KEY = "sk-bench-not-a-real-key-0000"


def bench_env(*, database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of every SimCRM process of the benchmark.

    The user's OPENAI_* and SIMCRM_* variables are dropped, so no real key can reach the stand-in
    and no local tuning changes the figures; DEBUG is off, as in production (with DEBUG on, Django
    keeps every query in memory and times it).
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "SIMCRM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="simcrm_project.settings",
        DATABASE_URL=database_url,
        DEBUG="False",
        SECRET_KEY="simcrm-bench-only-secret-key-not-for-production-use-0123456789",  # noqa: S106
        SECURE_SSL_REDIRECT="False",
        SIMCRM_PERSONA_PROVIDER="openai",
        OPENAI_API_KEY=FAKE_API_KEY,
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@dataclass
class MemoryPeak:
    largest_process_kib: int = 0  # the highest VmHWM of any one process of the cluster
    tree_kib: int = 0  # the highest sum of VmRSS over the whole process tree at one moment

    def merge(self, other: "MemoryPeak") -> None:
        self.largest_process_kib = max(self.largest_process_kib, other.largest_process_kib)
        self.tree_kib = max(self.tree_kib, other.tree_kib)


def _session_pids(session_id: int) -> list[int]:
    """Every live process in the given session (the cluster starts its own)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 3 and int(fields[3]) == session_id:
            pids.append(int(entry))
    return pids


def _status_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB; zeros if it is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


class Cluster:
    """`python manage.py qcluster` in its own session, its memory sampled from /proc while it runs."""

    def __init__(self, *, env: dict[str, str], workers: int, log: Path, sample_seconds: float = 0.2) -> None:
        self.env = {**env, "SIMCRM_WORKERS": str(workers)}
        self.workers = workers
        self.log = log
        self.memory = MemoryPeak()
        self._sample_seconds = sample_seconds
        self._process: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def __enter__(self) -> "Cluster":
        self._out = self.log.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._sampler = threading.Thread(target=self._sample, name="bench-rss", daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_started(self, *, timeout: float = 60.0) -> None:
        """Until every process of the cluster exists: main, sentinel, monitor, pusher and the workers.

        (Its log cannot tell: django-q2's own messages may be turned down.) Whether it runs tasks is
        for the caller to check.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"qcluster exited with {self._process.returncode}; see {self.log}")
            if self._process is not None and len(_session_pids(self._process.pid)) >= self.workers + 4:
                return
            time.sleep(0.1)
        raise RuntimeError(f"qcluster did not start within {timeout:.0f} s; see {self.log}")

    def stop(self, *, timeout: float = 30.0) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process is not None:
            # Stragglers of the session (a worker the sentinel failed to reap) must not outlive the run.
            for pid in _session_pids(process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join(timeout=2)
        if self._out is not None:
            self._out.close()
            self._out = None

    def largest_rss_kib(self) -> int:
        """The resident memory of the cluster's largest process now (a worker holds what its jobs read)."""
        if self._process is None:
            return 0
        return max((_status_kib(pid)[0] for pid in _session_pids(self._process.pid)), default=0)

    def _sample(self) -> None:
        while not self._stop.is_set():
            if self._process is not None:
                total = 0
                for pid in _session_pids(self._process.pid):
                    rss, hwm = _status_kib(pid)
                    total += rss
                    self.memory.largest_process_kib = max(self.memory.largest_process_kib, hwm)
                self.memory.tree_kib = max(self.memory.tree_kib, total)
            self._stop.wait(self._sample_seconds)


def pgbench_path() -> str:
    found = shutil.which("pgbench") or next(iter(sorted(glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None)
    if found is None:
        raise RuntimeError("pgbench not found: install PostgreSQL's client tools (it ships with postgresql)")
    return found


def pgbench_tps(*, pg_env: dict[str, str], dbname: str, seconds: int, clients: int = 8, threads: int = 2) -> float:
    """Initialise pgbench's tables in `dbname` (a scratch database) and return its -N select-update TPS."""
    binary = pgbench_path()
    env = {**os.environ, **pg_env}
    subprocess.run(  # noqa: S603
        [binary, "-i", "-q", "-s", "1", dbname], env=env, check=True, capture_output=True, timeout=300
    )
    done = subprocess.run(  # noqa: S603
        [binary, "-N", "-c", str(clients), "-j", str(threads), "-T", str(seconds), dbname],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    match = re.search(r"tps = ([0-9.]+) \((?:without initial connection time|excluding connections)", done.stdout)
    if match is None:
        raise RuntimeError(f"Could not read TPS from pgbench's output:\n{done.stdout}\n{done.stderr}")
    return float(match.group(1))
