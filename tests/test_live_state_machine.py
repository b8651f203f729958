"""A hypothesis state machine over the live schedule: time passes, busy time comes and goes,
the budget and the plan change, actions get done, the user moves and deletes blocks, and syncs
run, through the real engine, both real SDKs and the sandbox.

After every sync it checks the issue's invariants on every future block careersync placed: in
a window, off busy time (another plan's blocks included), within its week's budget, after its
action's start, after its action and milestone dependencies, min_block..max_block long; no block
the user moved has moved; the effort still to do is placed or reported short. The plan is in
Europe/London and its first weeks hold the spring-forward change (2027-03-28).
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from sync.engine import stored_risks
from tests.world import World

LONDON = ZoneInfo("Europe/London")
FROZEN = timedelta(hours=24)
WINDOWS = {0: [(7, 0, 8, 30)], 2: [(7, 0, 8, 30)], 5: [(9, 0, 12, 0)], 6: [(14, 0, 16, 0)]}
MIN, MAX = timedelta(minutes=30), timedelta(hours=2)


def _plan_text(actions: dict[str, dict[str, Any]], hours: float, done: set[str]) -> str:
    learn = [a for a in actions.values() if a["milestone"] == "learn"]
    apply_ = [a for a in actions.values() if a["milestone"] == "apply"]

    def plain(a: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in a.items() if k != "milestone"}

    doc = {
        "format": 1,
        "plan": {
            "id": "live",
            "title": "Live",
            "timezone": "Europe/London",
            "start": "2027-03-15",
            "end": "2027-07-31",
        },
        "schedule": {
            "weekly_hours": hours,
            "min_block": "30m",
            "max_block": "2h",
            "windows": [
                {"days": ["mon", "wed"], "from": "07:00", "to": "08:30"},
                {"days": ["sat"], "from": "09:00", "to": "12:00"},
                {"days": ["sun"], "from": "14:00", "to": "16:00"},
            ],
        },
        "milestones": [
            {
                "id": "learn",
                "title": "Learn",
                "due": "2027-05-31",
                "actions": [plain(a) for a in learn],
            },
            {
                "id": "apply",
                "title": "Apply",
                "due": "2027-07-31",
                "after": ["learn"],
                "actions": [plain(a) for a in apply_],
            },
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def in_window(start: datetime, end: datetime) -> bool:
    s, e = start.astimezone(LONDON), end.astimezone(LONDON)
    if s.date() != e.date() and e.time() != datetime.min.time():
        return False
    for h0, m0, h1, m1 in WINDOWS.get(s.weekday(), []):
        lo = s.replace(hour=h0, minute=m0, second=0)
        hi = s.replace(hour=h1, minute=m1, second=0)
        if lo <= s and e <= hi:
            return True
    return False


class LiveSchedule(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        home = Path(tempfile.mkdtemp())
        self.actions: dict[str, dict[str, Any]] = {
            "course": {"id": "course", "title": "Course", "effort": "4h", "milestone": "learn"},
            "book": {
                "id": "book",
                "title": "Book",
                "effort": "2h",
                "milestone": "learn",
                "start": "2027-03-29",
            },
            "cv": {"id": "cv", "title": "CV", "effort": "1h30m", "milestone": "apply"},
            "roles": {
                "id": "roles",
                "title": "Roles",
                "effort": "2h",
                "milestone": "apply",
                "after": ["cv"],
            },
        }
        self.hours = 4.0
        self.done: set[str] = set()
        self.world = World(home, text=_plan_text(self.actions, self.hours, self.done), google=True)
        self.world.now = datetime(2027, 3, 22, 5, 0, tzinfo=UTC)
        self.other = World(home, google=True)  # another plan, same account, same machine
        self.other_synced = False
        self.busy: dict[str, tuple[datetime, datetime]] = {}
        self.moved: dict[str, tuple[datetime, datetime]] = {}  # key -> where the user put it
        self.synced = False

    # -- helpers ------------------------------------------------------------------------
    def _write(self) -> None:
        self.world.text = _plan_text(self.actions, self.hours, self.done)

    def _calendar(self) -> str:
        return self.world.records("google")["calendar"].remote_id

    def _blocks(self) -> dict[str, tuple[datetime, datetime]]:
        out = {}
        for e in self.world.sandbox.google.events(self._calendar()):
            key = e.get("extendedProperties", {}).get("private", {}).get("careersync_key", "")
            if key.startswith("block:"):
                out[key] = (
                    datetime.fromisoformat(e["start"]["dateTime"]),
                    datetime.fromisoformat(e["end"]["dateTime"]),
                )
        return out

    def _future(self) -> list[tuple[str, tuple[datetime, datetime]]]:
        now = self.world.now
        return sorted((k, s) for k, s in self._blocks().items() if s[0] > now + FROZEN)

    # -- rules --------------------------------------------------------------------------
    @rule()
    def sync(self) -> None:
        self.world.sync()
        self.synced = True
        self.check()

    @rule(hours=st.sampled_from([1, 5, 20, 49, 170]))
    def time_passes(self, hours: int) -> None:
        self.world.later(hours=hours)

    @precondition(lambda self: self.synced)
    @rule(pick=st.integers(0, 50), on_block=st.booleans(), minutes=st.sampled_from([30, 60, 90]))
    def busy_added(self, pick: int, on_block: bool, minutes: int) -> None:
        future = self._future()
        if on_block and future:
            start = future[pick % len(future)][1][0]
        else:
            day = self.world.now.astimezone(LONDON).date() + timedelta(days=2 + pick % 20)
            start = datetime(day.year, day.month, day.day, 7 + pick % 5, 0, tzinfo=LONDON)
        eid = self.world.sandbox.google.add_busy(start, start + timedelta(minutes=minutes))
        self.busy[eid] = (start, start + timedelta(minutes=minutes))

    @precondition(lambda self: bool(self.busy))
    @rule(pick=st.integers(0, 50))
    def busy_removed(self, pick: int) -> None:
        eid = sorted(self.busy)[pick % len(self.busy)]
        self.world.sandbox.google.user_delete_event("primary", eid)
        del self.busy[eid]

    @rule(hours=st.sampled_from([1.5, 3, 4, 6]))
    def budget_changed(self, hours: float) -> None:
        self.hours = hours
        self._write()

    @precondition(lambda self: self.synced)
    @rule(aid=st.sampled_from(["course", "book", "cv", "roles"]))
    def action_completed(self, aid: str) -> None:
        if aid in self.done:
            return
        task = self.world.task(f"task:{aid}")
        self.world.sandbox.todoist.user_complete(task["id"])
        self.done.add(aid)

    @rule(
        aid=st.sampled_from(["course", "book", "cv", "roles"]),
        effort=st.sampled_from(["1h", "2h30m", "5h"]),
    )
    def plan_edited(self, aid: str, effort: str) -> None:
        self.actions[aid]["effort"] = effort
        self._write()

    @precondition(lambda self: self.synced)
    @rule(pick=st.integers(0, 50), days=st.integers(1, 10))
    def block_moved(self, pick: int, days: int) -> None:
        future = [(k, s) for k, s in self._future() if k not in self.moved]
        if not future:
            return
        key, (start, end) = future[pick % len(future)]
        to = start + timedelta(days=days, hours=3)
        eid = self.world.records("google")[key].remote_id
        self.world.sandbox.google.user_move_event(self._calendar(), eid, to, to + (end - start))
        self.moved[key] = (to, to + (end - start))

    @precondition(lambda self: self.synced)
    @rule(pick=st.integers(0, 50))
    def block_deleted(self, pick: int) -> None:
        future = [(k, s) for k, s in self._future() if k not in self.moved]
        if future:
            key = future[pick % len(future)][0]
            eid = self.world.records("google")[key].remote_id
            self.world.sandbox.google.user_delete_event(self._calendar(), eid)

    @precondition(lambda self: self.synced)
    @rule()
    def other_plan_syncs(self) -> None:
        self.other.sandbox = self.world.sandbox
        self.other.now = self.world.now
        self.other.sync()
        self.other_synced = True

    # -- the invariants after a sync ----------------------------------------------------
    def check(self) -> None:
        now = self.world.now
        blocks = self._blocks()
        for key, span in self.moved.items():  # never moved back
            if key in blocks:
                assert blocks[key] == span, key
        mine = {k: s for k, s in blocks.items() if k not in self.moved and s[0] > now + FROZEN}
        busy = list(self.busy.values())
        if self.other_synced:
            other = self.other.records("google")
            busy += [
                (
                    datetime.fromisoformat(r.synced["start"]["dateTime"]),
                    datetime.fromisoformat(r.synced["end"]["dateTime"]),
                )
                for k, r in other.items()
                if k.startswith("block:") and r.status == "active"
            ]
        ends: dict[str, datetime] = {}
        for k, (_, e) in blocks.items():
            aid = k.split(":")[1]
            ends[aid] = max(ends.get(aid, e), e)
        week: dict[tuple[int, int], timedelta] = defaultdict(timedelta)
        fixed: dict[tuple[int, int], timedelta] = defaultdict(timedelta)
        for k, (s, e) in blocks.items():
            w = s.astimezone(LONDON).isocalendar()[:2]
            (week if k in mine else fixed)[w] += e - s
        for k, (s, e) in mine.items():
            aid = k.split(":")[1]
            a = self.actions[aid]
            assert in_window(s, e), (k, s, e)
            assert not any(s < b1 and b0 < e for b0, b1 in busy), (k, s, e)
            assert MIN <= e - s <= MAX or e - s < MIN, (k, e - s)
            if "start" in a:
                assert s.astimezone(LONDON).date() >= date.fromisoformat(a["start"])
            deps = [d for d in a.get("after", []) if d not in self.done]
            if a["milestone"] == "apply":
                deps += [
                    x
                    for x, b in self.actions.items()
                    if b["milestone"] == "learn" and x not in self.done
                ]
            for d in deps:
                if d in ends:
                    assert s >= ends[d] or ends[d] <= now, (k, d)
            w = s.astimezone(LONDON).isocalendar()[:2]
            if w > now.astimezone(LONDON).isocalendar()[:2]:
                assert week[w] + fixed[w] <= timedelta(hours=self.hours) or week[w] == timedelta(
                    0
                ), w
        short = {
            r["milestone"]: r["short_minutes"] for r in stored_risks(self.world.plan, self._store())
        }
        for aid, a in self.actions.items():
            if aid in self.done:
                continue
            effort = _minutes(a["effort"])
            ahead = sum(
                ((e - s) for k, (s, e) in blocks.items() if k.split(":")[1] == aid and e > now),
                timedelta(),
            )
            assert ahead + timedelta(minutes=short.get(a["milestone"], 0)) >= timedelta(
                minutes=effort
            ), aid
        assert self.world.sync().changes == 0  # a second sync changes nothing

    def _store(self) -> Any:
        from sync.state import StateStore

        return StateStore(self.world.home / "state.db")


def _minutes(text: str) -> int:
    h, _, rest = text.partition("h")
    if not rest and "m" in h:
        return int(h.rstrip("m"))
    return int(h) * 60 + (int(rest.rstrip("m")) if rest else 0)


LiveSchedule.TestCase.settings = settings(
    max_examples=int(os.environ.get("CAREERSYNC_EXAMPLES", "10")),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_live_schedule_state_machine = LiveSchedule.TestCase
