"""What the interview learned, before ids are given out: the plan, its milestones and actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sync.plan import Every, Kind, Weekday

Exercise = Literal["vision", "short-term"]
EXERCISES: tuple[Exercise, ...] = ("vision", "short-term")


@dataclass(frozen=True)
class Horizon:
    """How far the plan looks: its last day, and the whole months that make it (if given so)."""

    end: date
    months: int | None = None


@dataclass
class ActionDraft:
    title: str
    effort: timedelta | None = None  # None: not given yet (the interview then asks)
    due: date | None = None
    start: date | None = None
    every: Every | None = None
    days: tuple[Weekday, ...] = ()
    after: list[int] = field(default_factory=list)  # numbers (0-based) of earlier actions
    first: bool = False


@dataclass
class MilestoneDraft:
    title: str
    due: date
    kind: Kind | None = None
    after: int | None = None  # index of the milestone this one comes after
    notes: str | None = None
    actions: list[ActionDraft] = field(default_factory=list)


@dataclass
class Draft:
    """Everything the interview learned; `today` is the plan's start, in its time zone."""

    exercise: Exercise
    title: str
    start: date
    horizon: Horizon
    timezone: str
    vision: dict[str, str | None] = field(default_factory=dict)
    milestones: list[MilestoneDraft] = field(default_factory=list)
    windows: list[dict[str, Any]] = field(default_factory=list)
    weekly_hours: float = 4.0

    def actions(self) -> list[ActionDraft]:
        """Every action in plan order: the numbering the person sees (#1, #2, ...)."""
        return [a for m in self.milestones for a in m.actions]
