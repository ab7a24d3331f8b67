"""Analysts' SQL, run in a separate worker process (survey.store.sql_worker).

The app never runs an analyst's text itself. A worker process, started with a scrubbed
environment, its own private folder and its own memory limits, vets the text against
allow-lists (survey.store.sql_vet), opens the snapshot read-only with file access disabled
and the configuration locked, and returns at most a number of rows and of bytes. The parent
kills the worker at the time limit (whatever the query is doing) or when it died, says so in
a message, and starts a fresh one; one worker is kept warm so a query does not wait for
Python and DuckDB to start.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from survey.errors import DomainError
from survey.store import sql_worker

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DISPLAY_BYTES = 16 * 2 ** 20  # what the grid may receive (Streamlit sends it to the browser)
DOWNLOAD_ROWS = {"csv": 500_000, "parquet": 1_000_000, "xlsx": 100_000}
DOWNLOAD_BYTES = 64 * 2 ** 20
# A download runs the query again and writes a file (Excel: ~100,000 rows a minute here), so it
# gets this many times the query's time limit; rows and bytes bound it as well.
DOWNLOAD_TIME_FACTOR = 4
START_TIMEOUT_S = 60.0


class QueryRefused(DomainError, ValueError):
    """The text is not shown to be a single reading query; nothing ran and nothing changed."""


class QueryFailed(RuntimeError):
    """The query ran and stopped: an error from DuckDB, the time or memory limit, a crash.
    `kind` is failed, timeout, memory, crashed or busy."""

    def __init__(self, message: str, kind: str = "failed"):
        super().__init__(message)
        self.kind = kind


@dataclass
class QueryResult:
    table: pa.Table
    truncated: bool
    seconds: float
    cut_by: str | None = None  # "rows" or "bytes" when truncated


@dataclass
class Download:
    data: bytes
    rows: int
    cut_by: str | None


@dataclass(frozen=True)
class Limits:
    memory_limit: str = "1GB"
    temp_limit: str = "2GB"
    threads: int = 2
    address_space: int = 4 * 2 ** 30  # rlimit backstop: ~1.7 GB mapped at start + DuckDB + Arrow
    max_workers: int = 2


class _Process:
    """One worker process and its private folder."""

    def __init__(self, limits: Limits):
        self.private = tempfile.mkdtemp(prefix="survey-sql-")
        os.chmod(self.private, 0o700)
        settings = {"memory_limit": limits.memory_limit, "temp_limit": limits.temp_limit,
                    "threads": limits.threads, "address_space": limits.address_space,
                    "private_dir": self.private, "project_root": str(PROJECT_ROOT)}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.private,
               "TMPDIR": self.private, "LANG": "C.UTF-8", "PYTHONPATH": str(PROJECT_ROOT),
               "TZ": os.environ.get("TZ", ""), "PYTHONDONTWRITEBYTECODE": "1"}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "survey.store.sql_worker", json.dumps(settings)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=self.private, env=env, close_fds=True, start_new_session=True)
        self.ready_s: float | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self) -> None:
        header, _ = self._read(time.monotonic() + START_TIMEOUT_S)
        if not header.get("ready"):
            raise QueryFailed("the SQL worker did not start", "crashed")
        self.ready_s = time.perf_counter() - self.started

    def ask(self, header: dict, timeout_s: float) -> tuple[dict, bytes]:
        try:
            sql_worker.send(self.proc.stdin, header)
        except (BrokenPipeError, OSError):
            raise _Died() from None
        return self._read(time.monotonic() + timeout_s)

    def _read(self, deadline: float) -> tuple[dict, bytes]:
        fd = self.proc.stdout.fileno()
        head = self._exact(fd, 4, deadline)
        header = json.loads(self._exact(fd, struct.unpack(">I", head)[0], deadline))
        size = struct.unpack(">Q", self._exact(fd, 8, deadline))[0]
        return header, self._exact(fd, size, deadline)

    def _exact(self, fd: int, n: int, deadline: float) -> bytes:
        buffer = io.BytesIO()
        while buffer.tell() < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _TimedOut()
            chunk = os.read(fd, min(n - buffer.tell(), 1 << 20))
            if not chunk:
                raise _Died()
            buffer.write(chunk)
        return buffer.getvalue()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.private, ignore_errors=True)


class _TimedOut(Exception):
    pass


class _Died(Exception):
    pass


class _Pool:
    """Worker processes for one set of limits: up to max_workers busy, one kept warm."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.idle: list[_Process] = []
        self.busy: set[_Process] = set()
        self.starting = 0  # warm-ups under way
        self.cond = threading.Condition()
        self.warm_up()

    def warm_up(self) -> None:
        with self.cond:
            self.starting += 1

        def start():
            process = None
            try:
                process = _Process(self.limits)
                process.wait_ready()
            except (QueryFailed, _TimedOut, _Died, OSError):
                if process is not None:
                    process.kill()
                process = None
            with self.cond:
                self.starting -= 1
                if process is not None:
                    self.idle.append(process)
                self.cond.notify_all()
        threading.Thread(target=start, name="sql-worker-start", daemon=True).start()

    def acquire(self, wait_s: float) -> _Process:
        deadline = time.monotonic() + wait_s
        with self.cond:
            while True:
                while self.idle:
                    process = self.idle.pop()
                    if process.alive():
                        self.busy.add(process)
                        return process
                    process.kill()
                if len(self.busy) < self.limits.max_workers and not self.starting:
                    process = _Process(self.limits)  # none warm: start one now
                    self.busy.add(process)
                    break
                if not self.cond.wait(max(0.0, deadline - time.monotonic())) and \
                        time.monotonic() >= deadline:
                    raise QueryFailed("busy", "busy")
        try:
            process.wait_ready()
        except (_TimedOut, _Died, QueryFailed):
            self.discard(process)
            raise QueryFailed("the SQL worker could not start", "crashed") from None
        return process

    def release(self, process: _Process) -> None:
        with self.cond:
            self.busy.discard(process)
            if process.alive() and not self.idle:
                self.idle.append(process)
                process = None
            self.cond.notify_all()
        if process is not None:
            process.kill()

    def discard(self, process: _Process) -> None:
        process.kill()
        with self.cond:
            self.busy.discard(process)
            self.cond.notify_all()
            warm = not self.idle and not self.starting
        if warm:
            self.warm_up()

    def close(self) -> None:
        with self.cond:
            processes, self.idle = self.idle + list(self.busy), []
            self.busy = set()
        for process in processes:
            process.kill()


_pools: dict[Limits, _Pool] = {}
_pools_guard = threading.Lock()


def close_all() -> None:
    """Stop every worker (at exit: their private folders go with them)."""
    with _pools_guard:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()


atexit.register(close_all)


def pool_for(limits: Limits) -> _Pool:
    with _pools_guard:
        if limits not in _pools:
            _pools[limits] = _Pool(limits)
        return _pools[limits]


class Sandbox:
    def __init__(self, snapshot: str | Path, timeout_s: float = 30, limits: Limits = Limits()):
        self.snapshot = Path(snapshot)
        self.timeout_s = timeout_s
        self.limits = limits

    def run(self, sql: str, limit: int = 10_000, max_bytes: int = DISPLAY_BYTES) -> QueryResult:
        header, payload = self._ask(sql, limit, max_bytes, None, self.timeout_s)
        table = pa.ipc.open_stream(payload).read_all()
        return QueryResult(table, header["cut"] is not None, header["seconds"], header["cut"])

    def download(self, sql: str, fmt: str, rows: int | None = None,
                 max_bytes: int = DOWNLOAD_BYTES) -> Download:
        if fmt not in DOWNLOAD_ROWS:
            raise ValueError(f"unknown download format {fmt!r}")
        header, payload = self._ask(sql, rows or DOWNLOAD_ROWS[fmt], max_bytes, fmt,
                                    self.timeout_s * DOWNLOAD_TIME_FACTOR)
        return Download(payload, header["rows"], header["cut"])

    def _ask(self, sql: str, rows: int, max_bytes: int, fmt: str | None, timeout_s: float):
        if not self.snapshot.exists():
            raise QueryFailed("there is no analytics snapshot yet; it is written a few seconds "
                              "after the app starts, or with `python -m survey snapshot`",
                              "no_snapshot")
        pool = pool_for(self.limits)
        process = pool.acquire(wait_s=max(self.timeout_s, 20))
        request = {"sql": sql, "snapshot": str(self.snapshot), "rows": rows,
                   "bytes": max_bytes, "format": fmt}
        try:
            header, payload = process.ask(request, timeout_s)
        except _TimedOut:
            pool.discard(process)
            raise QueryFailed(f"the query ran longer than {timeout_s:g} s and was "
                              "stopped", "timeout") from None
        except _Died:
            pool.discard(process)
            raise QueryFailed("the query stopped the SQL worker (most often it needed more "
                              "memory than allowed)", "crashed") from None
        pool.release(process)
        if header.get("ok"):
            return header, payload
        if header["kind"] == "refused":
            raise QueryRefused(header["message"], header.get("zh"))
        if header["kind"] == "memory":
            raise QueryFailed(f"the query needed more memory than allowed "
                              f"({self.limits.memory_limit}) and was stopped", "memory")
        raise QueryFailed(header["message"], header["kind"])


def worker_pids(limits: Limits = Limits()) -> list[int]:
    """Process ids of this limit set's workers (for tests and the admin's eyes)."""
    pool = pool_for(limits)
    with pool.cond:
        return [p.pid for p in pool.idle + list(pool.busy)]
