"""What the app's background threads (the snapshot scheduler, reminder delivery) do when a
round of their work fails, e.g. while PostgreSQL is restarted: they keep running, say so in
ONE log line per kind of failure (no traceback every tick, never a password), wait longer
after each failure (doubling up to a cap), and say once when the work goes through again.

psycopg's connection pool reconnects in threads of its own and warns at every failed attempt
(two lines each, about one a second while PostgreSQL is down): importing this module lets one
such warning through per minute, with the number of repeats it stood for."""

from __future__ import annotations

import logging
import re
import threading
import time
import traceback

UNAVAILABLE = "database unavailable"
# a password in a URL (scheme://user:secret@host) or in a libpq key=value string
_SECRETS = re.compile(r"(?P<url>://[^\s:/@]*:)[^\s@]*@|(?P<key>password\s*=\s*)('[^']*'|\S+)",
                      re.IGNORECASE)
_CONNECTION_WORDS = re.compile(r"connect|connection|server closed|could not receive",
                               re.IGNORECASE)


def redact(text: str) -> str:
    return _SECRETS.sub(lambda m: m["url"] + "***@" if m["url"] else m["key"] + "***", text)


def concise(exc: BaseException, limit: int = 240) -> str:
    """`Type: first line of the message`, passwords masked: for a log line or an admin page."""
    first = (str(exc).strip().splitlines() or [""])[0]
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return redact(text)[:limit]


def _chain(exc: BaseException | None):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def failure_kind(exc: BaseException) -> str:
    """'database unavailable' for a database that does not answer (however it surfaces:
    psycopg, its pool, DuckDB's postgres extension, the store's message), else the type."""
    return _classify(exc)[0]


def _classify(exc: BaseException) -> tuple[str, BaseException]:
    """(kind, the exception that says most about it: for an outage the driver's own error,
    not the store's message for people)."""
    try:
        from psycopg import OperationalError
        from psycopg_pool import PoolTimeout
        unavailable: tuple = (OperationalError, PoolTimeout, ConnectionError)
    except ImportError:  # the embedded engine alone
        unavailable = (ConnectionError,)
    import duckdb
    for e in _chain(exc):
        if isinstance(e, unavailable) or (isinstance(e, duckdb.Error)
                                          and _CONNECTION_WORDS.search(str(e))):
            return UNAVAILABLE, e
    return type(exc).__name__, exc


class Failures:
    """The failure state of one background thread: call failed(exc) / succeeded() after each
    round of work and sleep delay(normal) before the next."""

    def __init__(self, log: logging.Logger, what: str, cap_s: float = 60.0):
        self.log, self.what, self.cap_s = log, what, cap_s
        self.count = 0
        self.kind: str | None = None   # the kind already logged since the last success
        self.since = 0.0

    def failed(self, exc: BaseException) -> None:
        kind, culprit = _classify(exc)
        if self.count == 0:
            self.since = time.monotonic()
        self.count += 1
        if kind != self.kind:
            self.kind = kind
            self.log.warning("%s: %s (%s); still running, retrying with back-off up to %g s",
                             self.what, kind, concise(culprit), self.cap_s)
            if kind != UNAVAILABLE:  # a bug, not an outage: its traceback once, for a developer
                self.log.debug("%s: %s", self.what, redact("".join(
                    traceback.format_exception(type(exc), exc, exc.__traceback__))))

    def succeeded(self) -> None:
        if self.count:
            self.log.warning("%s: working again after %d failed attempt(s) over %.0f s",
                             self.what, self.count, time.monotonic() - self.since)
        self.count, self.kind = 0, None

    def delay(self, normal: float) -> float:
        """normal while all is well; after n failures normal * 2**(n-1), at most the cap
        (never less than normal)."""
        if not self.count:
            return normal
        base = max(normal, 0.05)
        return min(max(base, self.cap_s), base * 2 ** min(self.count - 1, 30))


class Repeats(logging.Filter):
    """Lets a message of a logger through once per `window_s`; the repeats in between are
    counted and the count rides on the next one let through."""

    def __init__(self, window_s: float = 60.0):
        super().__init__()
        self.window_s = window_s
        self._seen: dict[str, list] = {}   # first line -> [when let through, repeats since]
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        first = (record.getMessage().splitlines() or [""])[0]
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(first)
            if seen is not None and now - seen[0] < self.window_s:
                seen[1] += 1
                return False
            repeats = seen[1] if seen else 0
            if len(self._seen) > 1000:   # many different messages: start counting afresh
                self._seen.clear()
            self._seen[first] = [now, 0]
        record.msg, record.args = redact(first), None
        if repeats:
            record.msg += f" ({repeats} more like this since the last one shown)"
        return True


POOL_WARNINGS = Repeats()
if POOL_WARNINGS not in logging.getLogger("psycopg.pool").filters:
    logging.getLogger("psycopg.pool").addFilter(POOL_WARNINGS)
