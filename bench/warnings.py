"""How often the rebound warnings are wrong, and how soon they catch a real rise.

`python -m bench.warnings` simulates monitoring points with the rules of config/warnings.yaml
and prints, per rule and for any rule:

- false alarms: the share of stable points (no change at any date) warned in a month, and
  warned at least once in twelve months;
- detection: the share of points whose indicator really rose by +20 %, +40 % or +100 % (from
  a month on, for good) that are warned within 1, 2 and 3 months of the rise.

Simulated data (numpy, seeded): points with 3 to 30 respondents (uniform), each answering a
month with probability 0.92, a whole point-month missing now and then (3 %); a point-month
with fewer than k = 5 answers is suppressed, as in the store. Counts per respondent are
Poisson around the point's level times a calendar season (Spring Festival February 0.7,
December 1.2, summer 0.9), or over-dispersed: each respondent's own level (gamma, CV 0.3,
fixed over time), negative binomial answers (variance 1.5 x the mean) and a month shock for
the whole point (gamma, CV 0.15). Hours per respondent are gamma (CV 0.4), in half hours.
The informal rule's change is the one it looks for: documents down 20 % while a chat-group or
app count rises. Changing points are evaluated among stable ones (the dispersion is pooled
over all points, as on the page).

Options: --points (stable points, default 2000), --changing (per size of rise, default 600),
--seed, --model poisson|overdispersed|both.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass

import numpy as np

from survey import early_warning
from survey.early_warning import Cells, month
from survey.leader_config import load_rules

LATEST = dt.date(2027, 9, 1)
MONTHS = 33  # from January 2025: the baseline months before the policy of config/warnings.yaml, then
# the year evaluated and the 15 months its first month looks back at
K = 5
SEASON = {1: 1.0, 2: 0.7, 3: 1.0, 4: 1.0, 5: 1.0, 6: 1.0, 7: 0.9, 8: 0.9, 9: 1.0, 10: 1.0,
          11: 1.05, 12: 1.2}
# Per respondent and month: counts (and hours per reference week), around the demo's levels.
LEVELS = {"documents": 40.0, "meetings": 10.0, "forms": 14.0, "inspections": 2.5,
          "duplicate_forms": 3.0, "chat_groups": 12.0, "apps": 5.0, "meeting_hours": 8.0,
          "form_hours": 7.0}
HOURS = ("meeting_hours", "form_hours")
RISES = (0.2, 0.4, 1.0)


@dataclass
class World:
    cells: Cells
    months: list[dt.date]
    change: dict[str, tuple[str, float, int]]  # point -> (indicator, rise, onset month index)
    size: dict[str, int]


def simulate(stable: int, changing: int, seed: int = 28, model: str = "poisson",
             indicators=tuple(LEVELS), sizes=(3, 30), onset_back: int = 2,
             rises=RISES, targets: tuple[str, ...] | None = None) -> World:
    """Stable points and, per rise, `changing` points whose indicator (taken in turn from
    `targets`, by default every indicator but documents) rises from the month `onset_back`
    months before LATEST (so it is in the data for 1 .. onset_back + 1 months)."""
    rng = np.random.default_rng(seed)
    months = [month(LATEST, b) for b in range(MONTHS - 1, -1, -1)]
    points = [f"S{i:05d}" for i in range(stable)]
    change = {}
    watched = list(targets or [i for i in indicators if i != "documents"])
    for rise in rises:
        for j in range(changing):
            point = f"C{int(rise * 100):03d}-{j:05d}"
            points.append(point)
            change[point] = (watched[j % len(watched)], rise, MONTHS - 1 - onset_back)
    size = {p: int(rng.integers(sizes[0], sizes[1] + 1)) for p in points}
    n = np.full((len(points), len(indicators), MONTHS), np.nan)
    total = n.copy()
    season = np.array([SEASON[m.month] for m in months])
    for row, point in enumerate(points):
        people = size[point]
        base = {i: LEVELS[i] * rng.uniform(0.5, 1.5) for i in indicators}
        person = rng.gamma(1 / 0.09, 0.09, (len(indicators), people)) if \
            model == "overdispersed" else np.ones((len(indicators), people))
        for col in range(MONTHS):
            if rng.random() < 0.03:
                continue
            answered = rng.random(people) < 0.92
            if answered.sum() < K:
                continue
            shock = rng.gamma(1 / 0.0225, 0.0225) if model == "overdispersed" else 1.0
            for i, indicator in enumerate(indicators):
                level = base[indicator] * season[col] * shock
                if point in change:
                    target, rise, onset = change[point]
                    if col >= onset and (indicator == target or
                                         (target in ("chat_groups", "apps") and
                                          indicator == "documents")):
                        level *= 1 + rise if indicator == target else 0.8
                mean = level * person[i, answered]
                if indicator in HOURS:
                    values = np.round(rng.gamma(1 / 0.16, 0.16 * mean) * 2) / 2
                elif model == "overdispersed":  # variance 1.5 x mean
                    values = rng.negative_binomial(mean / 0.5, 1 / 1.5)
                else:
                    values = rng.poisson(mean)
                n[row, i, col] = answered.sum()
                total[row, i, col] = float(np.sum(values))
    return World(Cells(points, list(indicators), months, n, total), months, change, size)


def fired_by_month(world: World, rules, months: list[dt.date]) -> dict[dt.date, list]:
    return {m: early_warning.evaluate_cells(rules, world.cells, m) for m in months}


def false_alarms(world: World, rules, fired: dict) -> dict[str, tuple[float, float]]:
    """Per rule and 'any': (share of stable points warned in a month (mean over months),
    share warned at least once over the months)."""
    stable = [p for p in world.cells.points if p not in world.change]
    out = {}
    for name in [r.id for r in rules] + ["any"]:
        per_month, ever = [], set()
        for found in fired.values():
            hit = {a.point_id for a in found if name in ("any", a.rule.id)} - set(world.change)
            per_month.append(len(hit) / len(stable))
            ever |= hit
        out[name] = (float(np.mean(per_month)), len(ever) / len(stable))
    return out


def detection(world: World, rules, fired: dict, rise: float) -> dict[str, list[float]]:
    """Per rule and 'any': the share of points with this rise caught within 1, 2, 3 months
    (by a warning on the risen indicator; for a rule, among the points whose risen indicator
    it watches)."""
    onset = world.months[next(iter(world.change.values()))[2]]
    looks = [month(onset, -j) for j in range(3)]
    mine = {p: c for p, c in world.change.items() if c[1] == rise}
    out = {}
    for rule in [r for r in rules] + [None]:
        watched = {p for p, (ind, _, _) in mine.items()
                   if rule is None or ind in rule.indicators}
        shares = []
        caught: set = set()
        for look in looks:
            caught |= {a.point_id for a in fired[look]
                       if a.point_id in watched and a.indicator == mine[a.point_id][0]
                       and (rule is None or a.rule.id == rule.id)}
            shares.append(len(caught) / len(watched) if watched else float("nan"))
        out[rule.id if rule else "any"] = shares
    return out


def report(model: str, points: int, changing: int, seed: int, rules) -> str:
    world = simulate(points, changing, seed, model)
    evaluated = [month(LATEST, b) for b in range(11, -1, -1)]
    fired = fired_by_month(world, rules, evaluated)
    alarms = false_alarms(world, rules, fired)
    lines = [f"\n### {model}: {points} stable points, {changing} per rise, seed {seed}\n",
             "| rule | stable points warned in a month | ... at least once in 12 months | "
             + " | ".join(f"+{r:.0%} caught within 1 / 2 / 3 months" for r in RISES) + " |",
             "|---|---|---|" + "---|" * len(RISES)]
    found = {r: detection(world, rules, fired, r) for r in RISES}
    for name in [r.id for r in rules] + ["any"]:
        month_rate, year_rate = alarms[name]
        caught = " | ".join(" / ".join(f"{x:.0%}" for x in found[r][name]) for r in RISES)
        lines.append(f"| {name} | {month_rate:.1%} | {year_rate:.0%} | {caught} |")
    sizes = np.array([world.size[p] for p in world.change])
    lines.append(f"\nAlpha per rule and indicator: {rules[0].alpha:.4f}; changing points with "
                 f"fewer than {K} respondents (never evaluated): "
                 f"{np.mean(sizes < K):.0%}.")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--changing", type=int, default=600)
    parser.add_argument("--seed", type=int, default=28)
    parser.add_argument("--model", default="both", choices=("poisson", "overdispersed", "both"))
    args = parser.parse_args(argv)
    rules, problems = load_rules()
    if problems:
        raise SystemExit("\n".join(map(str, problems)))
    models = ("poisson", "overdispersed") if args.model == "both" else (args.model,)
    for model in models:
        print(report(model, args.points, args.changing, args.seed, rules), flush=True)


if __name__ == "__main__":
    main()
