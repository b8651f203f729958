"""The plan file the interview writes: the draft as a plan dict (format 1), then commented YAML.

Ids come from titles (`slugify`); dependencies the person gave by number become `after` ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from sync.durations import format_duration
from sync.interview.draft import ActionDraft, Draft, Exercise
from sync.plan import slug

ID_LIMIT = 32  # ids may have 63 characters; short ones read better
_FILLER = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "its", "my", "of", "on"}
_FILLER |= {"or", "our", "s", "the", "to", "with", "your"}


def slugify(title: str, taken: set[str]) -> str:
    """An id from a title, unique among `taken` (which it joins): 'Book the exam' -> book-exam."""
    words = [word for word in slug(title).split("-") if word]
    words = [word for word in words if word not in _FILLER] or words or ["item"]
    base = words[0][:ID_LIMIT]
    for word in words[1:]:
        if len(base) + 1 + len(word) > ID_LIMIT:
            break
        base += f"-{word}"
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate, n = base[: ID_LIMIT - len(suffix)].rstrip("-") + suffix, n + 1
    taken.add(candidate)
    return candidate


def build(draft: Draft) -> dict[str, Any]:
    """The plan dict in the documented format (format 1), ids derived from titles."""
    plan: dict[str, Any] = {
        "id": slugify(draft.title, set()),
        "title": draft.title,
        "timezone": draft.timezone,
        "start": draft.start,
    }
    if draft.horizon.months:
        plan["horizon"] = f"{draft.horizon.months} months"
    else:
        plan["end"] = draft.horizon.end
    vision = {k: v for k, v in draft.vision.items() if v}
    if vision:
        plan["vision"] = vision
    weekly = int(draft.weekly_hours) if draft.weekly_hours.is_integer() else draft.weekly_hours
    taken: set[str] = set()
    ids = [slugify(m.title, taken) for m in draft.milestones]
    action_ids = [slugify(a.title, taken) for a in draft.actions()]
    numbered = iter(action_ids)
    milestones = []
    for m, mid in zip(draft.milestones, ids, strict=True):
        item: dict[str, Any] = {"id": mid, "title": m.title}
        if m.kind:
            item["kind"] = m.kind
        item["due"] = m.due
        if m.after is not None:
            item["after"] = [ids[m.after]]
        if m.notes:
            item["notes"] = m.notes
        item["actions"] = [_action(a, next(numbered), action_ids) for a in m.actions]
        milestones.append(item)
    return {
        "format": 1,
        "plan": plan,
        "schedule": {"weekly_hours": weekly, "windows": draft.windows},
        "milestones": milestones,
    }


def _action(action: ActionDraft, action_id: str, ids: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": action_id, "title": action.title}
    if action.effort:
        item["effort"] = format_duration(action.effort)
    if action.first:
        item["first"] = True
    if action.start:
        item["start"] = action.start
    if action.due and not action.every:
        item["due"] = action.due
    if action.after:
        item["after"] = [ids[i] for i in action.after]
    if action.every:
        item["every"] = action.every
        if action.days:
            item["days"] = list(action.days)
        if action.due:
            item["until"] = action.due
    return item


_NOTES = {
    "plan": "The plan: where it starts, how far it looks ahead, and the picture at its end point.",
    "plan.vision": "Where you are, what you do, who is with you at the end. Fill in gaps any time.",
    "schedule": "When careersync may place focus blocks (in the plan's time zone), and how many\n"
    "hours a week at most.",
}
_MILESTONE_NOTES: dict[Exercise, str] = {
    "vision": "Milestones in order toward the end point, each with its date (zoom out), and the\n"
    "small actions inside each (zoom in). `after` names the step that comes before (for an\n"
    "action: the actions done before it); `first: true` marks the actions to start with.",
    "short-term": "Monthly goals per area (knowledge, skills, experience), each a step bigger\n"
    "than the last: `after` names the previous month's goal in the same area. `first: true`\n"
    "marks the actions to start with.",
}


def plan_file(draft: Draft, filename: str, template: bool = False) -> str:
    """The plan file's text: the plan dict as commented YAML."""
    notes = {**_NOTES, "milestones": _MILESTONE_NOTES[draft.exercise]}
    return render(build(draft), header(draft, filename, template), notes)


def render(doc: dict[str, Any], header: str, notes: dict[str, str]) -> str:
    """Block-style YAML with a header and a comment before each noted section."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    return "\n".join(lines + _lines(doc, 0, "", notes)) + "\n"


def _lines(mapping: dict[str, Any], indent: int, path: str, notes: dict[str, str]) -> list[str]:
    pad, out = "  " * indent, []
    for key, value in mapping.items():
        here = f"{path}.{key}" if path else key
        if here in notes:
            out += [""] if indent == 0 else []
            out += [f"{pad}# {line}" for line in notes[here].splitlines()]
        if isinstance(value, dict):
            out += [f"{pad}{key}:", *_lines(value, indent + 1, here, notes)]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out.append(f"{pad}{key}:")
            for i, item in enumerate(value):
                if i and indent == 0:
                    out.append("")
                first, *rest = _lines(item, indent + 2, here, {})
                out += [f"{pad}  - {first.lstrip()}", *rest]
        else:
            out.append(f"{pad}{key}: {_scalar(value)}")
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d\d:\d\d", value):
        return f'"{value}"'  # times: quoted, as YAML 1.1 reads 12:00 as a number
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30)
    return text.removesuffix("\n...\n").removesuffix("\n")


def header(draft: Draft, filename: str, template: bool = False) -> str:
    if draft.exercise == "vision":
        kind = "vision plan (12-18 months)"
    else:
        kind = "short-term plan (3-6 months)"
    origin = (
        f"A starting {kind}: replace the examples with your own."
        if template
        else f"Your {kind}, written by `careersync init` on {draft.start}."
    )
    return (
        f"careersync plan file (format 1)\n{origin}\n\n"
        "This file is yours: edit it as your goals change, then preview the changes with\n"
        f"  careersync sync {filename} --dry-run\n"
        "Keep each `id` when you rename something: ids tie items to their Todoist tasks and\n"
        "calendar blocks. Dates are YYYY-MM-DD; efforts are like 15m, 1h30m or 2h."
    )


def slots(windows: Iterable[dict[str, Any]]) -> str:
    return "; ".join(f"{', '.join(w['days'])} {w['from']}-{w['to']}" for w in windows)


def summary(draft: Draft) -> str:
    """What will be written, in a few lines, for the person to confirm."""
    lines = [f"{draft.title}  ({draft.start} to {draft.horizon.end}, {draft.timezone})"]
    for m in draft.milestones:
        kind = f"[{m.kind}] " if m.kind else ""
        count = len(m.actions)
        lines.append(f"  {m.due}  {kind}{m.title}  ({count} action{'s' * (count != 1)})")
    first = [a.title + (f" (by {a.due})" if a.due else "") for a in draft.actions() if a.first]
    if first:
        lines.append(f"First: {'; '.join(first)}")
    lines.append(f"Career time: up to {draft.weekly_hours:g} h a week, {slots(draft.windows)}")
    return "\n".join(lines)
