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
def running_app(env: dict, timeout: float = 60, port: int | None = None, args=()):
    """`args`: more `streamlit run` options, e.g. ("--secrets.files", path) for secrets other
    than the developer's own .streamlit/secrets.toml."""
    port = port or free_port()
    log = open(Path(env["SURVEY_DB"]).with_suffix(".server.log"), "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "survey_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", *args],
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


# No run going. A fragment's rerun shows no status widget: also the script state, and the
# previous run's elements (marked stale until the run ends) gone.
QUIET = ("() => !document.querySelector('[data-testid=stStatusWidget]') && "
         "document.querySelector('[data-testid=stApp]')?.getAttribute("
         "'data-test-script-state') !== 'running' && !document.querySelector('[data-stale=true]')")


def settle(page, pause: float = 0.25, timeout: float = 20) -> None:
    """Wait until Streamlit has finished the rerun a click or an edit started."""
    time.sleep(pause)
    page.wait_for_function(QUIET, timeout=timeout * 1000)


def light_tap(page, button) -> None:
    """Tap a button of the light form (/f) with its script on, and wait for the server's page:
    the script replaces the document with it."""
    page.evaluate("() => { window.drawnPage = document.documentElement; }")
    button.click()
    page.wait_for_function("() => document.documentElement !== window.drawnPage", timeout=30000)
    page.wait_for_load_state("networkidle")


def sign_in(page, url: str, path: str, username: str, password: str) -> None:
    """Open `path`, sign in on its form as a staff member (Chinese labels), and wait until the
    form is gone and the session cookie has arrived (it comes through the page's fetch after
    the run). Works on a phone too, where the sidebar with 退出登录 is folded away."""
    page.goto(f"{url}{path}")
    page.wait_for_selector("input[type=password]", timeout=30000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    settle(page)
    page.wait_for_selector("input[type=password]", state="detached", timeout=30000)
    for _ in range(100):
        if any(c["name"] == "survey_staff" for c in page.context.cookies()):
            break
        time.sleep(0.1)
