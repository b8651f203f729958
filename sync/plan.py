"""The career plan: a vision, milestones toward it, and the small actions inside each milestone.

These models are what the loader (`sync.loader`) produces from a plan file (format 1, see the
README). Every value here is resolved: defaults are filled in (an action's kind, due and until
come from its milestone), so the rest of careersync never has to ask "what if it is missing?".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["knowledge", "skills", "experience"]
KINDS: tuple[Kind, ...] = ("knowledge", "skills", "experience")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Every = Literal["day", "week", "2 weeks", "month"]
EVERY: tuple[Every, ...] = ("day", "week", "2 weeks", "month")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def slug(title: str) -> str:
    """The default id made from a title: ASCII lowercase, runs of other characters as '-', 63 max.

    May be empty (a title of only punctuation); the loader then asks for an explicit id.
    """
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:63].rstrip("-")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Vision(_Model):
    """The picture at the end point. All free text, all optional."""

    where: str | None = None
    doing: str | None = None
    who: str | None = None
    notes: str | None = None

    def text(self) -> str:
        """The vision as one text, as the Todoist project description shows it."""
        parts = {"Where": self.where, "Doing": self.doing, "Who": self.who, "Notes": self.notes}
        return "\n".join(f"{label}: {value}" for label, value in parts.items() if value)


class Window(_Model):
    """When career work may be placed, in the plan's time zone. YAML keys: `days`, `from`, `to`."""

    days: tuple[Weekday, ...]
    start: time = Field(alias="from")
    end: time = Field(alias="to")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


DEFAULT_WINDOWS = (
    Window(days=("mon", "wed"), start=time(7, 0), end=time(8, 30)),
    Window(days=("sat",), start=time(9, 0), end=time(12, 0)),
)


class Schedule(_Model):
    """Time-blocking preferences."""

    weekly_hours: float = 4
    min_block: timedelta = timedelta(minutes=30)
    max_block: timedelta = timedelta(hours=2)
    windows: tuple[Window, ...] = DEFAULT_WINDOWS


class Recurrence(_Model):
    """A repeating action: once per `every`, optionally on given weekdays."""

    every: Every
    days: tuple[Weekday, ...] = ()


class Action(_Model):
    """A small, concrete step inside a milestone."""

    id: str
    title: str
    kind: Kind | None = None  # resolved: the milestone's kind when not given
    effort: timedelta = timedelta(0)  # per occurrence for a recurring action
    first: bool = False
    start: date | None = None
    due: date  # resolved: the milestone's due when not given
    after: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    recurrence: Recurrence | None = None  # YAML: `every` and `days`
    until: date | None = None  # resolved for recurring actions: the milestone's due
    notes: str | None = None

    @property
    def recurring(self) -> bool:
        return self.recurrence is not None


class Milestone(_Model):
    """A big step toward the vision, with a target date."""

    id: str
    title: str
    kind: Kind | None = None
    due: date
    after: tuple[str, ...] = ()
    notes: str | None = None
    actions: tuple[Action, ...] = ()


class Plan(_Model):
    """A whole plan: a vision plan (12-18 months) or a short-term plan (3-6 months)."""

    format: Literal[1] = 1
    id: str
    title: str
    timezone: str  # IANA name, validated by the loader
    start: date
    end: date  # resolved from `horizon` or `end`
    vision: Vision = Vision()
    schedule: Schedule = Schedule()
    milestones: tuple[Milestone, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def actions(self) -> Iterator[tuple[Milestone, Action]]:
        """Every action with its milestone, in plan order."""
        for milestone in self.milestones:
            for action in milestone.actions:
                yield milestone, action

    def task_count(self) -> int:
        """Todoist tasks the plan makes: a checkpoint per milestone, a task per action and per
        checklist item (a recurring action is one task)."""
        return len(self.milestones) + sum(1 + len(a.checklist) for _, a in self.actions())

    def milestone(self, milestone_id: str) -> Milestone:
        return next(m for m in self.milestones if m.id == milestone_id)

    def action(self, action_id: str) -> Action:
        return next(a for _, a in self.actions() if a.id == action_id)
