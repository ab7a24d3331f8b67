"""Reminder latency after a reminder time, and the outbox under failing receivers.

    python -m bench.reminders

Real store in a temporary folder, a real HTTP receiver on 127.0.0.1, the delivery thread as the
app starts it (tick 15 s), with a clock moved to just before a reminder time of a real round
(September 2026, deadline Sat Oct 10, the adjusted working day after National Day).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from survey import reminders
from survey.bootstrap import publish_dir
from survey.rounds import Rule
from survey.store import Point, Store, outbox
from survey.store import rounds as round_store
from tests.webhook_support import Robot as Receiver

ROOT = Path(__file__).resolve().parent.parent
KEY = b"bench-key-" + b"0" * 22
DUE = dt.datetime(2026, 10, 10, 9, 30)


def make_store(folder: Path, receiver, channels: int, points: int) -> Store:
    store = Store(folder / "bench.duckdb", KEY)
    publish_dir(store, ROOT / "questionnaires")
    store.add_points([Point(f"P-{i:04d}", f"监测点{i}", "village", "village",
                            ("江北市", f"县{i % channels}", "镇")) for i in range(points)])
    for i in range(points):
        store.issue_codes(f"P-{i:04d}", 1)
    store._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?",
                                         [dt.datetime(2026, 8, 1)]))
    round_store.save_rule(store, Rule("burden_monthly", deadline_days=3, reminders=(0,),
                                      remind_at=DUE.time()), "bench")
    for c in range(channels):
        round_store.add_channel(store, f"县{c}群", "wecom", f"{receiver.url}/cgi-bin/webhook/send?key=k{c}", None,
                                ("江北市", f"县{c}"), None, "zh", "bench")
    return store


def latency(runs: int = 3) -> list[float]:
    """Seconds from the reminder time to the receiver's answer, thread at the app's tick."""
    out = []
    for _ in range(runs):
        receiver = Receiver()
        with tempfile.TemporaryDirectory() as folder:
            store = make_store(Path(folder), receiver, channels=1, points=20)
            start = time.monotonic()
            lead = 3.0   # the thread starts 3 s before the reminder time
            clock = lambda: DUE - dt.timedelta(seconds=lead) + dt.timedelta(  # noqa: E731
                seconds=time.monotonic() - start)
            delivery = reminders.Delivery(store, clock=clock)   # tick 15 s, as in the app
            delivery.start()
            while not receiver.times and time.monotonic() - start < 60:
                time.sleep(0.01)
            out.append(receiver.times[0] - (start + lead) if receiver.times else float("inf"))
            delivery.stop()
            store.close()
        receiver.close()
    return out


def failures(channels: int = 20, fail_rate: float = 0.5, first_failures: int = 100) -> dict:
    """Every channel's message under a receiver that fails the first `first_failures` posts
    and then half of the rest: delivered once each, how many attempts, how long to drain."""
    receiver = Receiver(failures=first_failures, fail_rate=fail_rate)
    with tempfile.TemporaryDirectory() as folder:
        store = make_store(Path(folder), receiver, channels=channels, points=channels * 5)
        start = time.monotonic()
        clock = lambda: DUE + dt.timedelta(seconds=time.monotonic() - start)  # noqa: E731
        delivery = reminders.Delivery(store, tick=0.05, base_s=0.02, cap_s=0.2, clock=clock)
        delivery.start()
        while len(receiver.accepted) < channels and time.monotonic() - start < 120:
            time.sleep(0.01)
        drained = time.monotonic() - start
        time.sleep(1.0)   # would a duplicate follow?
        delivery.stop()
        listing = outbox.listing(store)
        result = {"channels": channels, "delivered": len(receiver.accepted),
                  "distinct": len({path + query.get("key", "") for path, query, _ in
                                   receiver.accepted}),
                  "requests": len(receiver.requests), "max_attempts": int(listing["attempts"].max()),
                  "all_sent": bool((listing["state"] == "sent").all()), "seconds": round(drained, 2)}
        store.close()
    receiver.close()
    return result


def scale(points: int = 5000, codes: int = 3, months: int = 12) -> dict:
    """The rounds page's queries at county-network scale: `points` points with `codes` codes
    each, 90% reporting every month (generated in SQL), status of one round and the trend of
    12 rounds, best of three."""
    from survey import periods
    from survey.rounds import round_for
    from survey.work_calendar import WorkCalendar
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "scale.duckdb", KEY)
        publish_dir(store, ROOT / "questionnaires")
        keys = periods.span("month", "2025-10", "2026-09")[-months:]

        def load(cur):
            cur.execute("INSERT INTO point (point_id, name, level, kind, region) SELECT "
                        "printf('P-%05d', i), printf('监测点%d', i), 'village', 'village', "
                        "['江北市', printf('县%d', i % 40), printf('镇%d', i % 400)] "
                        "FROM range(?) t(i)", [points])
            cur.execute("INSERT INTO respondent (respondent_key, point_id, issued_at) SELECT "
                        "printf('R-%05d-%d', i, j), printf('P-%05d', i), TIMESTAMP '2025-01-01' "
                        "FROM range(?) a(i), range(?) b(j)", [points, codes])
            for key in keys:
                start = periods.bounds("month", key)[1]
                cur.execute(
                    "INSERT INTO submission SELECT printf('S-%s-%s', ?, respondent_key), "
                    "printf('T-%s-%s', ?, respondent_key), respondent_key, point_id, "
                    "'burden_monthly', 1, 'x', ?, ?, 1, NULL, "
                    "CAST(? AS TIMESTAMP) + to_days(CAST(hash(respondent_key || ?) % 12 AS INTEGER)), "
                    "NULL FROM respondent WHERE hash(respondent_key || ?) % 10 <> 0",
                    [key, key, key, start, start, key, key])
        store._write(load)
        rule, calendar = Rule("burden_monthly", deadline_days=5), WorkCalendar()
        rnd = round_for(rule, "month", keys[-1], calendar)
        one = trend = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            status = round_store.point_status(store, rnd, now=DUE)
            one = min(one, time.perf_counter() - t0)
            t0 = time.perf_counter()
            round_store.trend(store, rule, keys[-1], 12, calendar, now=DUE)
            trend = min(trend, time.perf_counter() - t0)
        submissions = store.query("SELECT count(*) FROM submission")[0][0]
        store.close()
    return {"points": points, "codes": points * codes, "submissions": submissions,
            "status_one_round_s": round(one, 3), "trend_12_rounds_s": round(trend, 3),
            "rows": len(status)}


if __name__ == "__main__":
    print("reminder latency after its time (s):", [round(x, 3) for x in latency()])
    print("outbox under failures:", failures())
    print("rounds at scale:", scale())
