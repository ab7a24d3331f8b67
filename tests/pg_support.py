"""A real PostgreSQL for the tests: one throwaway cluster per test session (Debian's binaries,
initdb as the postgres user when the tests run as root), one new database per test.

Without PostgreSQL binaries the PostgreSQL variants skip locally and fail in CI (CI=true), where
.ci/run installs them."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self):
        bindir = _bindir()
        if bindir is None:
            message = "PostgreSQL binaries not found (apt-get install postgresql)"
            if os.environ.get("CI"):
                pytest.fail(message + "; CI must run the PostgreSQL tests")
            pytest.skip(message)
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="survey-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_owner:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                         "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                         "-c max_connections=300")
        self.resume()

    def pause(self) -> None:
        """Stop the server, keeping its data (a database outage)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-o", self._options, "start")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(self._as_owner + [str(self.bindir / program), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # not when a test left it paused
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
