"""Run the real app (`streamlit run`) on a free local port and drive Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> str:
    """The browser path; in CI a missing browser is a failure, not a skip."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(env: dict, timeout: float = 60):
    port = free_port()
    log = open(Path(env["SURVEY_DB"]).with_suffix(".server.log"), "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "survey_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start: "
                                   + Path(log.name).read_text(errors="replace")[-2000:])
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def settle(page, pause: float = 0.25, timeout: float = 20) -> None:
    """Wait until Streamlit has finished the rerun a click or an edit started."""
    time.sleep(pause)
    # A fragment's rerun shows no status widget: also wait for the script state and for the
    # previous run's elements (marked stale until the run ends) to be gone.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]') && "
        "document.querySelector('[data-testid=stApp]')?.getAttribute("
        "'data-test-script-state') !== 'running' && !document.querySelector('[data-stale=true]')",
        timeout=timeout * 1000)
