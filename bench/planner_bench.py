"""Benchmark the time-blocking planner: 1,000 actions in 20 milestones against 2,000 busy
events over 26 weeks. Prints wall time (best of 3), peak memory and blocks placed; then a
re-plan with 500 of those blocks pinned and the rest tentative (nothing changed), and one
after a new busy event lands on a tentative block.

Run: .venv/bin/python bench/planner_bench.py [--overload]
(--overload asks for more effort than the windows hold, so the risk analysis runs too.)
"""

from __future__ import annotations

import argparse
import random
import time as clock
import tracemalloc
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sync.plan import Action, Milestone, Plan, Recurrence, Schedule, Window
from sync.planner import Interval, Placement, place_blocks

TZ = ZoneInfo("Europe/London")
START = date(2027, 1, 4)
WEEKS = 26
MILESTONES = 20
ACTIONS = 1_000
BUSY = 2_000


def build(overload: bool) -> tuple[Plan, datetime, dict[str, timedelta], list[Interval]]:
    rng = random.Random(2027)
    end = START + timedelta(weeks=WEEKS) - timedelta(days=1)
    schedule = Schedule(
        weekly_hours=40 if overload else 60,
        min_block=timedelta(minutes=30),
        max_block=timedelta(hours=2),
        windows=(
            Window(days=("mon", "tue", "wed", "thu", "fri"), start=time(7), end=time(9)),
            Window(days=("mon", "tue", "wed", "thu", "fri"), start=time(17), end=time(22)),
            Window(days=("sat", "sun"), start=time(9), end=time(18)),
        ),
    )
    per = ACTIONS // MILESTONES
    milestones = []
    remaining: dict[str, timedelta] = {}
    for m in range(MILESTONES):
        due = START + timedelta(days=(m + 1) * WEEKS * 7 // MILESTONES - 1)
        actions = []
        for k in range(per):
            aid = f"m{m}-a{k}"
            if k % 50 == 49:
                effort = timedelta(minutes=30)
                actions.append(
                    Action(
                        id=aid,
                        title=aid,
                        effort=effort,
                        due=due,
                        until=due,
                        recurrence=Recurrence(every="week", days=("sat", "sun")),
                    )
                )
                continue
            minutes = rng.randrange(15, 180 if overload else 90, 15)
            effort = timedelta(minutes=minutes)
            after = (f"m{m}-a{k - 1}",) if k % 5 else ()
            actions.append(
                Action(
                    id=aid,
                    title=aid,
                    effort=effort,
                    due=due,
                    after=after,
                    first=(k == 0 and m == 0),
                )
            )
            remaining[aid] = effort
        milestones.append(Milestone(id=f"m{m}", title=f"M{m}", due=due, actions=tuple(actions)))
    plan = Plan(
        id="bench",
        title="Bench",
        timezone="Europe/London",
        start=START,
        end=end,
        schedule=schedule,
        milestones=tuple(milestones),
    )
    t0 = datetime.combine(START, time(0), tzinfo=TZ)
    busy = []
    for n in range(BUSY):  # mostly meetings in working hours, some evenings and weekends
        if n % 5:
            day = START + timedelta(weeks=rng.randrange(WEEKS), days=rng.randrange(5))
            s = datetime.combine(day, time(8), tzinfo=TZ) + timedelta(
                minutes=15 * rng.randrange(40)
            )
        else:
            s = t0 + timedelta(minutes=15 * rng.randrange(WEEKS * 7 * 96))
        busy.append(Interval(s, s + timedelta(minutes=rng.choice((30, 60, 90, 120)))))
    return plan, t0, remaining, busy


def replans(
    plan: Plan,
    now: datetime,
    remaining: dict[str, timedelta],
    busy: list[Interval],
    first: Placement,
) -> None:
    """Re-plans of the first placement: 500 blocks pinned, the others tentative."""
    pinned, tentative = list(first.blocks[:500]), list(first.blocks[500:])
    left = dict(remaining)
    for b in pinned:
        left[b.action_id] = left.get(b.action_id, timedelta(0)) - (b.end - b.start)
    hit = tentative[len(tentative) // 2]
    for name, extra in (("nothing changed", []), ("one new busy event", [hit])):
        times = []
        for _ in range(3):
            t = clock.perf_counter()
            again = place_blocks(
                plan,
                now=now,
                remaining=left,
                busy=[*busy, *(Interval(b.start, b.end) for b in extra)],
                kept=pinned,
                tentative=tentative,
            )
            times.append(clock.perf_counter() - t)
        print(
            f"re-plan, 500 pinned, {len(tentative)} tentative, {name}: {min(times) * 1000:.0f} ms;"
            f" blocks moved or new: {len(again.blocks)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overload", action="store_true", help="more work than fits: risks")
    args = parser.parse_args()
    plan, now, remaining, busy = build(args.overload)
    times = []
    result: Placement | None = None
    for _ in range(3):
        t = clock.perf_counter()
        result = place_blocks(plan, now=now, remaining=remaining, busy=busy)
        times.append(clock.perf_counter() - t)
    tracemalloc.start()
    place_blocks(plan, now=now, remaining=remaining, busy=busy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result is not None
    replans(plan, now, remaining, busy, result)
    unplaced = sum(result.unplaced.values(), timedelta(0)) / timedelta(hours=1)
    print(f"actions {ACTIONS}, milestones {MILESTONES}, busy {BUSY}, weeks {WEEKS}")
    print(f"wall time (best of 3): {min(times) * 1000:.0f} ms")
    print(f"peak memory: {peak / 1e6:.1f} MB")
    print(
        f"blocks placed: {len(result.blocks)}; unplaced: {unplaced:g} h; risks: {len(result.risks)}"
    )


if __name__ == "__main__":
    main()
