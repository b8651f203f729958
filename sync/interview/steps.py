"""The steps both exercises share: zoom in (actions and their order), the person's time for
career work, and "make it happen" (the first actions, and those that can be done today)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from sync.interview.actions import (
    EFFORT_HINT,
    GRAMMAR,
    Context,
    action_parser,
    describe,
    effort_echo,
)
from sync.interview.answers import numbers_parser, parse_effort, parse_hours, parse_window
from sync.interview.draft import ActionDraft, Draft, MilestoneDraft
from sync.interview.planfile import build, render, slots
from sync.interview.session import Question, Steps
from sync.loader import parse_plan
from sync.plan import DEFAULT_WINDOWS as MODEL_WINDOWS
from sync.planner import place_blocks

MAX_ITEMS = 15  # actions per milestone (18 monthly goals x 16 stay under Todoist's 300 tasks)
DEFAULT_WINDOWS = tuple(
    {"days": list(w.days), "from": f"{w.start:%H:%M}", "to": f"{w.end:%H:%M}"}
    for w in MODEL_WINDOWS
)


def zoom_in(milestone: MilestoneDraft, draft: Draft, key: str, explain: bool) -> Steps:
    """The small actions inside a milestone, until an empty answer; then their order."""
    position = next(i for i, m in enumerate(draft.milestones) if m is milestone)
    earlier = [a for m in draft.milestones[:position] for a in m.actions]
    actions = milestone.actions  # may hold suggested actions already
    typed = 0
    while len(actions) < MAX_ITEMS:
        number = len(earlier) + len(actions) + 1
        known = [*earlier, *actions]
        context = Context(draft.start, milestone.due, known)
        action: ActionDraft | None = yield Question(
            f"{key}.action.{typed + 1}",
            f"Action #{number} toward “{milestone.title}” (by {milestone.due})"
            if not typed
            else f"Action #{number}",
            hint=f"Small and concrete, with a rough time so it gets a calendar block.\n{GRAMMAR}\n"
            "Empty answer: no more actions for this milestone."
            if explain and not typed
            else ("Empty answer: no more actions for this milestone." if not typed else ""),
            parse=action_parser(context),
            heading="Zoom in: small actions" if explain and not typed else "",
            echo=_echo_action(number, known),
        )
        if action is None:
            break
        if action.effort is None:
            action.effort = yield Question(
                f"{key}.action.{typed + 1}.effort",
                "How long will it take? (0 = no time needed)",
                hint=EFFORT_HINT,
                parse=lambda raw: parse_effort(raw, zero=True),
                echo=effort_echo,
            )
        actions.append(action)
        typed += 1
    yield from _order(actions, len(earlier), f"{key}.order")


def _echo_action(number: int, known: list[ActionDraft]) -> Callable[[Any], str | None]:
    def echo(value: Any) -> str | None:
        return describe(value, number, known) if isinstance(value, ActionDraft) else None

    return echo


def _order(actions: list[ActionDraft], offset: int, key: str) -> Steps:
    """Within a milestone, one after the other in the order the person confirms."""
    one_off = [offset + i for i, a in enumerate(actions) if not a.every]
    if len(one_off) < 2:
        return
    listing = "  ".join(f"#{n + 1} {actions[n - offset].title}" for n in one_off)
    chain: list[int] = yield Question(
        key,
        "Do these in this order?",
        hint=f"{listing}\n"
        "y: each after the one before; n: in any order; or their numbers in order, e.g. "
        + ", ".join(f"{n + 1}" for n in reversed(one_off)),
        default="y",
        parse=_order_parser(actions, offset, one_off),
        echo=lambda chain: (
            "→ " + " then ".join(f"#{n + 1}" for n in chain) if chain else "→ in any order"
        ),
    )
    for before, then in pairwise(chain):
        if before not in actions[then - offset].after:
            actions[then - offset].after.append(before)


def _order_parser(
    actions: list[ActionDraft], offset: int, one_off: list[int]
) -> Callable[[str], list[int]]:
    def parse(raw: str) -> list[int]:
        text = raw.strip().lower()
        if text in ("y", "yes"):
            chain = one_off
        elif text in ("n", "no", "any", "none"):
            return []
        else:
            chain = _numbers(text, one_off)
        _check_chain(actions, offset, chain)
        return chain

    return parse


def _numbers(text: str, one_off: list[int]) -> list[int]:
    """'5, 4, 6' (the numbers shown) -> those actions' indexes, each one-off and in the list."""
    picked: list[int] = []
    for token in re.split(r"[,\s]+(?:then\s+)?|\s*then\s*", text.replace("#", "")):
        if not token:
            continue
        if not token.isdigit():
            raise ValueError("answer y, n, or the actions' numbers in order, like 2, 1, 3")
        n = int(token) - 1
        if n not in one_off:
            shown = ", ".join(f"#{i + 1}" for i in one_off)
            raise ValueError(f"#{n + 1} is not one of these ({shown})")
        if n in picked:
            raise ValueError(f"#{n + 1} is there twice")
        picked.append(n)
    if len(picked) < 2:
        raise ValueError("give at least two numbers, or answer n (any order)")
    return picked


def _check_chain(actions: list[ActionDraft], offset: int, chain: list[int]) -> None:
    """The order must agree with the `after`s the person typed."""
    position = {n: i for i, n in enumerate(chain)}
    for n in chain:
        for before in actions[n - offset].after:
            if before in position and position[before] > position[n]:
                raise ValueError(
                    f"#{n + 1} comes after #{before + 1} (you said so), so #{before + 1} must "
                    "be earlier in the order; give the numbers in another order, or n"
                )


def schedule(draft: Draft) -> Steps:
    """When the person can work on their career, and how much a week."""
    while len(draft.windows) < MAX_ITEMS:
        window: dict[str, Any] | None = yield Question(
            f"window.{len(draft.windows) + 1}",
            "When can you work on your career? One slot per answer"
            if not draft.windows
            else "Another slot",
            hint=f"Days and hours in {draft.timezone}: mon wed 07:00-08:30  |  weekdays 18-19"
            f"  |  sat 9am-12\nEmpty answer: done (with none given: {slots(DEFAULT_WINDOWS)})."
            if not draft.windows
            else "",
            parse=parse_window,
            heading="Time for your career" if not draft.windows else "",
        )
        if window is None:
            break
        draft.windows.append(window)
    draft.windows = draft.windows or [dict(w) for w in DEFAULT_WINDOWS]
    draft.weekly_hours = yield Question(
        "weekly_hours",
        "At most how many hours a week for career work?",
        hint="careersync blocks no more than this in a week; 2 to 6 is typical.",
        default="4",
        parse=parse_hours,
    )


def make_it_happen(draft: Draft, now: datetime) -> Steps:
    """The first actions, and those that can be done today (first, due when a window has room)."""
    actions = draft.actions()
    if not actions:
        return
    listing = "\n".join(f"  #{n}. {a.title}" for n, a in enumerate(actions, 1))
    first: list[int] = yield Question(
        "first",
        "Which actions come first? Their numbers, e.g. 1, 3",
        hint=listing,
        default="1",
        parse=numbers_parser(len(actions)),
        heading="Make it happen",
    )
    for i in first:
        actions[i].first = True
    dues: dict[int, date] = yield Question(
        "today",
        "Can any of them be done today? Their numbers",
        hint="Small steps taken now add up quickly. Each gets the first free window that has "
        "room.\nEmpty answer: none today.",
        default="none",
        parse=_today_parser(draft, now),
        echo=lambda dues: (
            "\n".join(
                f"→ #{i + 1} “{actions[i].title}”: first, by {day:%a} {day}"
                + ("" if day == draft.start else " (the first window with room)")
                for i, day in dues.items()
            )
            or None
        ),
    )
    for i, day in dues.items():
        actions[i].first, actions[i].due = True, day


def _today_parser(draft: Draft, now: datetime) -> Callable[[str], dict[int, date]]:
    actions = draft.actions()
    pick = numbers_parser(len(actions))

    def parse(raw: str) -> dict[int, date]:
        picked = pick(raw)
        for i in picked:
            if actions[i].every:
                raise ValueError(f"#{i + 1} repeats, so it has no single day")
        return today_dues(draft, now, picked) if picked else {}

    return parse


def today_dues(draft: Draft, now: datetime, picked: list[int]) -> dict[int, date]:
    """When each picked action can be done: the day its last block is placed when it goes
    before everything else, in the person's windows from `now` (never before today). Work
    that does not fit before its milestone is due keeps the milestone's date."""
    actions = draft.actions()
    kept = [(a.first, a.due) for a in actions]
    for i, action in enumerate(actions):
        action.first = i in picked
    try:
        text = render(build(draft), "", {})
    finally:
        for action, (flag, due) in zip(actions, kept, strict=True):
            action.first, action.due = flag, due
    plan = parse_plan(text, Path("plan.yaml"), today=draft.start, default_timezone="UTC").plan
    ordered = [a for _, a in plan.actions()]
    remaining = {a.id: a.effort for a in ordered if not a.recurring}
    placement = place_blocks(plan, now=now, remaining=remaining)
    last: dict[str, date] = {}
    for block in placement.blocks:
        day = block.start.astimezone(plan.tz).date()
        last[block.action_id] = max(day, last.get(block.action_id, day))
    dues: dict[int, date] = {}
    for i in picked:
        placed = ordered[i]
        if placed.id in placement.unplaced:
            dues[i] = placed.due
        else:
            dues[i] = max(last.get(placed.id, draft.start), draft.start)
    return dues
