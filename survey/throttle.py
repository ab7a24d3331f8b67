"""Attempt limits that slow an attacker without locking out the office next door.

Kept in memory only (no address or typed text is ever written down), bounded in size and
expiring (cachetools.TTLCache), so 100,000 clients cannot grow the process without end.

Two shapes:
- `Throttle` counts failures per key. The first `free` failures in a window cost nothing; after
  that each attempt waits a delay that doubles up to `max_delay_s`. Nothing ever locks a key
  for good, and a success never resets the count (a guesser holding one valid code gains
  nothing by using it between guesses): the count only ages out with the window.
- `Ceiling` counts events (reports, ratings) per key and refuses above `limit` per window.

`Limits` holds the process's limiters, one per purpose, so a wrong respondent code can never
slow a staff sign-in or a different purpose.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass, field

from cachetools import TTLCache

from survey.store import attempts

MAX_KEYS = 50_000  # per limiter; the least recently used key goes first when full


class Throttle:
    def __init__(self, free: int, base_delay_s: float, max_delay_s: float, window_s: float,
                 clock=time.monotonic, max_keys: int = MAX_KEYS):
        self.free, self.base, self.max_delay, self.clock = free, base_delay_s, max_delay_s, clock
        self._failures: TTLCache = TTLCache(max_keys, window_s, timer=clock)
        self._lock = threading.Lock()

    def wait_s(self, *keys: str) -> float:
        """Seconds until these keys may try again (0 = now)."""
        now = self.clock()
        with self._lock:
            return max([self._wait(self._failures.get(k), now) for k in keys if k] + [0.0])

    def _wait(self, entry, now: float) -> float:
        if entry is None:
            return 0.0
        count, last = entry
        if count < self.free:
            return 0.0
        delay = min(self.base * 2 ** (count - self.free), self.max_delay)
        return max(0.0, last + delay - now)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in filter(None, keys):
                count, _ = self._failures.get(key, (0, now))
                self._failures[key] = (count + 1, now)  # re-inserting restarts the window

    def failures(self, key: str) -> int:
        with self._lock:
            entry = self._failures.get(key)
            return entry[0] if entry else 0

    def __len__(self) -> int:
        with self._lock:
            self._failures.expire()
            return len(self._failures)


class Ceiling:
    def __init__(self, limit: int, window_s: float, clock=time.monotonic,
                 max_keys: int = MAX_KEYS):
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._events: TTLCache = TTLCache(max_keys, window_s, timer=clock)
        self._lock = threading.Lock()

    def wait_s(self, *keys: str) -> float:
        now = self.clock()
        with self._lock:
            waits = [0.0]
            for key in filter(None, keys):
                times = [t for t in self._events.get(key, ()) if t > now - self.window_s]
                if len(times) >= self.limit:
                    waits.append(times[0] + self.window_s - now)
            return max(waits)

    def record(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in filter(None, keys):
                times = [t for t in self._events.get(key, ()) if t > now - self.window_s]
                self._events[key] = tuple(times[-(self.limit - 1):] + [now]) if self.limit > 1 \
                    else (now,)

    def __len__(self) -> int:
        with self._lock:
            self._events.expire()
            return len(self._events)


class SharedThrottle:
    """A Throttle whose counts live in the database (survey/store/attempts.py), so every app
    server on one PostgreSQL sees every other's failures: N servers give a guesser no more
    tries than one. Same rule as Throttle; the clock is the wall clock (servers share it)."""

    def __init__(self, store, name: str, free: int, base_delay_s: float, max_delay_s: float,
                 window_s: float, clock=time.time):
        self.store, self.name, self.clock = store, name, clock
        self.free, self.base, self.max_delay, self.window_s = free, base_delay_s, max_delay_s, \
            window_s

    def wait_s(self, *keys: str) -> float:
        now = self.clock()
        found = attempts.entries(self.store, self.name, [k for k in keys if k])
        waits = [0.0]
        for count, _, last in found.values():
            if last >= now - self.window_s and count >= self.free:
                delay = min(self.base * 2 ** (count - self.free), self.max_delay)
                waits.append(max(0.0, last + delay - now))
        return max(waits)

    def failed(self, *keys: str) -> None:
        attempts.count(self.store, self.name, [k for k in keys if k], self.clock(),
                       self.window_s, restart=True)

    def failures(self, key: str) -> int:
        entry = attempts.entries(self.store, self.name, [key]).get(key)
        return entry[0] if entry and entry[2] >= self.clock() - self.window_s else 0


class SharedCeiling:
    """A Ceiling whose counts live in the database: at most `limit` events per key in a window
    that starts at the key's first event (a fixed window, where Ceiling's slides)."""

    def __init__(self, store, name: str, limit: int, window_s: float, clock=time.time):
        self.store, self.name, self.limit, self.window_s, self.clock = \
            store, name, limit, window_s, clock

    def wait_s(self, *keys: str) -> float:
        now = self.clock()
        waits = [0.0]
        for count, first, _ in attempts.entries(self.store, self.name,
                                                [k for k in keys if k]).values():
            if first >= now - self.window_s and count >= self.limit:
                waits.append(first + self.window_s - now)
        return max(waits)

    def record(self, *keys: str) -> None:
        attempts.count(self.store, self.name, [k for k in keys if k], self.clock(),
                       self.window_s, restart=False)


_SALT = os.urandom(16)  # per process: keys cannot be linked across restarts


def key(kind: str, value: str, salt: bytes | None = None) -> str:
    """A salted hash of a client address, a code or a user name: limiters never hold the text.
    Shared limits (several servers) hash with a salt every server has (from the code key)."""
    return kind + ":" + hashlib.sha256((salt or _SALT) + value.encode("utf-8", "replace")
                                       ).hexdigest()[:20]


@dataclass
class Limits:
    """The process's limiters. Numbers and reasons are in docs/access.md. With `store` (app
    servers sharing a PostgreSQL) they live in the database, shared by every server; `salt`
    then comes from the code key, which every server has. Otherwise in this process's memory
    (the DuckDB file has one process)."""
    clock: object = time.monotonic
    store: object = None
    salt: bytes | None = None
    codes: Throttle = field(init=False)        # wrong respondent codes: per client and per code
    staff: Throttle = field(init=False)        # wrong passwords: per account
    staff_client: Ceiling = field(init=False)  # wrong passwords: per client, generous
    receipts: Throttle = field(init=False)     # unknown receipt numbers when following a report
    reports: Ceiling = field(init=False)       # problem reports per client
    ratings: Ceiling = field(init=False)       # public ratings per client
    ratings_point: Ceiling = field(init=False)  # public ratings per client and point per day

    def __post_init__(self):
        c, shared = self.clock, self.store

        def throttle(name, **rule):
            return SharedThrottle(shared, name, clock=c, **rule) if shared else \
                Throttle(clock=c, **rule)

        def ceiling(name, **rule):
            return SharedCeiling(shared, name, clock=c, **rule) if shared else \
                Ceiling(clock=c, **rule)
        # 10 free mistakes per 15 minutes, then 10 s, 20 s, 40 s, 60 s ...: a handful a minute.
        self.codes = throttle("codes", free=10, base_delay_s=10, max_delay_s=60, window_s=900)
        self.staff = throttle("staff", free=3, base_delay_s=2, max_delay_s=300, window_s=3600)
        self.staff_client = ceiling("staff_client", limit=100, window_s=3600)
        self.receipts = throttle("receipts", free=10, base_delay_s=10, max_delay_s=60,
                                 window_s=900)
        self.reports = ceiling("reports", limit=10, window_s=3600)
        self.ratings = ceiling("ratings", limit=20, window_s=3600)
        self.ratings_point = ceiling("ratings_point", limit=3, window_s=86400)

    def key(self, kind: str, value: str) -> str:
        """A key for these limiters (shared ones hash with the servers' common salt)."""
        return key(kind, value, self.salt)

    @classmethod
    def for_store(cls, store, code_key: bytes) -> "Limits":
        """Shared in the database when several servers share it (PostgreSQL), else in memory."""
        if getattr(store, "dialect", None) != "postgres":
            return cls()
        salt = hashlib.sha256(b"attempt-limits:" + code_key).digest()[:16]
        return cls(clock=time.time, store=store, salt=salt)
