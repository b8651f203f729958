"""Load a plan file (format 1): YAML text in, a validated `Plan` with every default resolved out.

Three steps, each refusing what it cannot use with a `PlanError` that names the file, the line and
column, and a fix; no input ends in a traceback:

1. text: bytes decoded as UTF-8 (or UTF-16 with a BOM), control characters refused;
2. tree: YAML composed with the safe loader into located nodes, so every value keeps its line;
   duplicate keys, unknown tags and runaway aliases are refused here;
3. plan: each section read field by field against the rules of the plan format, then the rules
   that span items (ids, `after`, cycles) and Todoist's limits, before anything is written.

Advice that is not an error (a horizon outside the coaching ranges) comes back as warnings.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml
from pydantic import ValidationError

from sync.durations import (
    add_months,
    format_duration,
    horizon_end,
    parse_duration,
)
from sync.errors import PlanError
from sync.plan import (
    EVERY,
    ID_PATTERN,
    KINDS,
    WEEKDAYS,
    Action,
    Every,
    Kind,
    Milestone,
    Plan,
    Recurrence,
    Schedule,
    Vision,
    Weekday,
    Window,
    slug,
)

FORMATS = (1,)
MAX_BYTES = 1_000_000  # a plan is a small text file
MAX_DEPTH = 20  # format 1 nests 7 deep
MAX_VALUES = 20_000  # after aliases are expanded
MAX_YEARS = 10
MAX_EFFORT = timedelta(hours=1000)
MAX_BLOCK = timedelta(hours=24)

# Todoist's limits: task content, task description, project name and description, sections and
# active tasks per project.
TITLE_LIMIT = 500
# Descriptions keep room for careersync's marker line (and a checkpoint's progress paragraph).
NOTES_LIMIT = 16383 - 500
PLAN_TITLE_LIMIT = 120
VISION_LIMIT = 1024 - 100
MILESTONE_LIMIT = 20
TASK_LIMIT = 300

# Coaching ranges, in months: a short-term plan and a vision plan. A week either side is fine.
COACHING_RANGES = ((3, 6), (12, 18))
_MONTH_DAYS = 365.2425 / 12
_GRACE_DAYS = 7

TOP_KEYS = ("format", "plan", "schedule", "milestones")
PLAN_KEYS = ("id", "title", "timezone", "start", "horizon", "end", "vision")
VISION_KEYS = ("where", "doing", "who", "notes")
SCHEDULE_KEYS = ("weekly_hours", "min_block", "max_block", "windows")
WINDOW_KEYS = ("days", "from", "to")
MILESTONE_KEYS = ("id", "title", "kind", "due", "after", "notes", "actions")
ACTION_KEYS = (
    *("id", "title", "kind", "effort", "first", "start", "due", "after", "checklist"),
    *("every", "days", "until", "notes"),
)

_DAY_NAMES: dict[str, Weekday] = {
    name: day
    for day, full in zip(
        WEEKDAYS,
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        strict=True,
    )
    for name in (day, full)
}
_KINDS: dict[str, Kind] = {kind: kind for kind in KINDS}
_EVERY: dict[str, Every] = {every: every for every in EVERY}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_NUMBER = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")
# What YAML refuses to read (the same set as PyYAML's reader).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# libyaml recurses once per nesting level and can overflow the C stack on deep input. Each level
# needs a flow bracket or a block indicator (`- `, `? `, `key: `), so a document with fewer than
# this many cannot nest deep enough to matter; others go to the Python loader, whose recursion ends
# in a RecursionError.
_BLOCK_INDICATOR = re.compile(r"[-?:](?:\s|$)")
_FAST_LOADER_INDICATORS = 1000
# Deep flow nesting (`[[[[...`) also makes PyYAML's scanner quadratic; refuse it up front. Brackets
# inside quotes count too, which only makes this stricter than needed.
_MAX_FLOW_DEPTH = 100
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = ("null", "bool", "int", "float", "str", "timestamp")
_QUOTE_FIX = 'quote the value, e.g. "07:00"'


@dataclass(frozen=True)
class Loaded:
    """A loaded plan and the advice about it (each warning one line: `file:line: text`)."""

    plan: Plan
    warnings: tuple[str, ...]
    zone_given: bool = True  # the file names its `timezone:` (else the default zone was used)


def load_plan(path: Path, *, today: date, default_timezone: str) -> Loaded:
    """Read and load the plan file at `path`; any problem is a `PlanError`."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        fix = "check the path, or write a plan with `careersync init`"
        raise PlanError(path, "no such file", fix) from None
    except IsADirectoryError:
        raise PlanError(path, "is a directory", "give the path of the plan's YAML file") from None
    except PermissionError:
        fix = "check the file's permissions"
        raise PlanError(path, "cannot be read (permission denied)", fix) from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise PlanError(path, f"cannot be read ({reason})", "check the path") from None
    return parse_plan(data, path, today=today, default_timezone=default_timezone)


def parse_plan(text: str | bytes, path: Path, *, today: date, default_timezone: str) -> Loaded:
    """Load a plan from its file content; `path` names the file in errors and warnings."""
    try:
        root = _tree(_compose(_decode(text)))
        plan, notes = _read_plan(root, today, default_timezone)
    except _Invalid as problem:
        line, column = (problem.at.line, problem.at.column) if problem.at else (None, None)
        raise PlanError(path, problem.message, problem.fix, line, column) from None
    warnings = tuple(f"{path}:{at.line}: {message}" for at, message in notes)
    header = root.entries.get("plan")
    return Loaded(plan, warnings, header is not None and "timezone" in header.entries)


# -- problems ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """A place in the file, 1-based."""

    line: int
    column: int


class _Invalid(Exception):
    """A problem found while loading; `parse_plan` turns it into a `PlanError` for the file."""

    def __init__(self, message: str, fix: str | None, at: _At | None) -> None:
        super().__init__(message)
        self.message, self.fix, self.at = message, fix, at


def _suggest(word: str, choices: Collection[str], otherwise: str = "use one of") -> str:
    """The closest choice, or `otherwise` (followed by the choices when there are a few)."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return f"{otherwise}: {', '.join(choices)}" if len(choices) <= 20 else otherwise


# -- text -------------------------------------------------------------------------------------


def _decode(data: str | bytes) -> str:
    """The file's text, or a problem if it is too big, not text, or holds control characters."""
    if len(data) > MAX_BYTES:
        raise _Invalid(
            f"the file is larger than {MAX_BYTES // 1_000_000} MB",
            "a plan is a small text file; split it into several plans",
            None,
        )
    if isinstance(data, bytes):
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        try:
            text = data.decode("utf-16" if utf16 else "utf-8-sig")
        except UnicodeDecodeError as error:
            raise _Invalid(
                f"the file is not UTF-8 text (byte {data[error.start]:#04x})",
                "save it as UTF-8 text; is it the right file?",
                _position(data.decode("latin-1"), error.start),
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    bad = _NON_PRINTABLE.search(text)
    if bad:
        raise _Invalid(
            f"the file holds a control character (U+{ord(bad.group()):04X})",
            "remove it; a plan is plain text",
            _position(text, bad.start()),
        )
    return text


def _position(text: str, index: int) -> _At:
    line_start = text.rfind("\n", 0, index) + 1
    return _At(text.count("\n", 0, index) + 1, index - line_start + 1)


def _check_flow_depth(text: str) -> None:
    depth = 0
    for bracket in re.finditer(r"[\[\]{}]", text):
        depth = max(0, depth + (1 if bracket.group() in "[{" else -1))
        if depth > _MAX_FLOW_DEPTH:
            at = _position(text, bracket.start())
            raise _Invalid("the YAML nests too deeply", "a plan nests a few levels only", at)


def _compose(text: str) -> yaml.Node:
    """The YAML document as a node graph (the safe loader: no Python objects are made)."""
    _check_flow_depth(text)
    indicators = 2 * (text.count("[") + text.count("{")) + len(_BLOCK_INDICATOR.findall(text))
    loader = _FAST_LOADER if indicators <= _FAST_LOADER_INDICATORS else yaml.SafeLoader
    syntax_fix = "check the indentation (spaces, not tabs) and quote values holding ': ' or '#'"
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = _At(mark.line + 1, mark.column + 1) if mark else None
        problem = error.problem or error.context or "unreadable"
        if error.context and problem.startswith("but "):  # "expected ... but found ..."
            problem = f"{error.context}, {problem}"
        raise _Invalid(f"not valid YAML: {problem}", syntax_fix, at) from None
    except yaml.YAMLError as error:
        raise _Invalid(f"not valid YAML: {error}", syntax_fix, None) from None
    except RecursionError:
        raise _Invalid(
            "the YAML nests too deeply", "a plan nests a few levels only", None
        ) from None
    if root is None:
        raise _Invalid(
            "the file is empty", "start it with `format: 1`; see `careersync init`", None
        )
    return root


# -- tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A YAML value with its place. Scalars keep their source text; their type is read later."""

    tag: str  # "map", "seq", or a scalar's type: "str", "int", "float", "bool", "null", "timestamp"
    at: _At
    name: str  # the nearest key above, for messages
    key_at: _At | None = None
    text: str = ""
    entries: dict[str, _Node] = field(default_factory=dict)
    items: tuple[_Node, ...] = ()

    @property
    def head(self) -> _At:
        """Where a block starts for a reader: its key if it has one (`vision:`)."""
        return self.key_at or self.at


def _at(node: yaml.Node) -> _At:
    return _At(node.start_mark.line + 1, node.start_mark.column + 1)


def _tree(root: yaml.Node) -> _Node:
    budget = [MAX_VALUES]

    def walk(node: yaml.Node, name: str, depth: int, key_at: _At | None) -> _Node:
        budget[0] -= 1
        if budget[0] < 0:
            fix = "a plan is a small file; check its anchors and aliases (&, *)"
            raise _Invalid(f"the file holds more than {MAX_VALUES} values", fix, _at(node))
        if depth > MAX_DEPTH:
            raise _Invalid("the YAML nests too deeply", "a plan nests a few levels only", _at(node))
        tag = node.tag.removeprefix(_YAML_TAG) if node.tag.startswith(_YAML_TAG) else node.tag
        shown = f"!!{tag}" if node.tag.startswith(_YAML_TAG) else tag
        expected = {yaml.ScalarNode: _SCALAR_TAGS, yaml.SequenceNode: ("seq",)}.get(
            type(node), ("map",)
        )
        if tag not in expected:
            fix = "remove the tag; plan files use plain YAML values"
            raise _Invalid(f"the YAML tag `{shown}` is not supported", fix, _at(node))
        if isinstance(node, yaml.ScalarNode):
            return _Node(tag, _at(node), name, key_at, text=node.value)
        if isinstance(node, yaml.SequenceNode):
            items = tuple(walk(item, name, depth + 1, None) for item in node.value)
            return _Node("seq", _at(node), name, key_at, items=items)
        return _Node("map", _at(node), name, key_at, entries=mapping(node, depth))

    def mapping(node: yaml.Node, depth: int) -> dict[str, _Node]:
        entries: dict[str, _Node] = {}
        merged: list[_Node] = []
        for key_node, value_node in node.value:
            key_at = _at(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                fix = "write keys as plain names like `title`"
                raise _Invalid("a key is a list or mapping", fix, key_at)
            if key_node.tag == f"{_YAML_TAG}merge":
                merged.append(walk(value_node, "<<", depth + 1, key_at))
                continue
            key = key_node.value
            if key in entries:
                first = entries[key].key_at or key_at
                fix = "keep one of them; YAML would silently drop the first"
                raise _Invalid(f"`{key}` appears twice (first on line {first.line})", fix, key_at)
            entries[key] = walk(value_node, key, depth + 1, key_at)
        for source in merged:  # `<<: *defaults`: keys written here win over merged ones
            for part in source.items if source.tag == "seq" else (source,):
                if part.tag != "map":
                    fix = "merge a mapping, e.g. `<<: *defaults`"
                    raise _Invalid("`<<` merges something that is not a mapping", fix, part.at)
                for key, value in part.entries.items():
                    entries.setdefault(key, value)
        return entries

    return walk(root, "the file", 0, None)


# -- values -----------------------------------------------------------------------------------

T = TypeVar("T")


def _describe(node: _Node) -> str:
    if node.tag == "map":
        return "a mapping"
    if node.tag == "seq":
        return "a list"
    if node.tag == "null":
        return "empty"
    return _quote(node.text)


def _quote(text: str) -> str:
    """A value as messages show it: quoted, and cut short when long."""
    return repr(text if len(text) <= 40 else f"{text[:37]}...")


def _fields(node: _Node, keys: tuple[str, ...], what: str) -> dict[str, _Node]:
    """A mapping's entries, refusing unknown keys; an empty value (`key:`) counts as absent."""
    if node.tag != "map":
        fix = f"write {what} as `key: value` lines; allowed keys: {', '.join(keys)}"
        raise _Invalid(f"{what} must be a mapping, not {_describe(node)}", fix, node.head)
    for key, child in node.entries.items():
        if key not in keys:
            raise _Invalid(f"unknown key `{key}` in {what}", _suggest(key, keys), child.key_at)
    return {key: child for key, child in node.entries.items() if child.tag != "null"}


def _need(fields: Mapping[str, _Node], key: str, read: Callable[[_Node], T], parent: _Node) -> T:
    """A required field, read; missing or empty is a problem."""
    node = fields.get(key)
    if node is None:
        empty = parent.entries.get(key)
        at = empty.at if empty else parent.head
        state = "is empty" if empty else "is missing"
        raise _Invalid(f"`{key}` {state}", f"add `{key}: ...`", at)
    return read(node)


def _get(fields: Mapping[str, _Node], key: str, read: Callable[[_Node], T]) -> T | None:
    node = fields.get(key)
    return None if node is None else read(node)


def _scalar(node: _Node, expected: str) -> str:
    if node.tag in ("map", "seq"):
        fix = f"write {expected} after `{node.name}:`"
        raise _Invalid(f"`{node.name}` must be {expected}, not {_describe(node)}", fix, node.head)
    return node.text.strip()


def _text(node: _Node, limit: int = NOTES_LIMIT) -> str:
    """Free text; numbers, dates and yes/no are taken as written."""
    text = _scalar(node, "text")
    if len(text) > limit:
        fix = "shorten it" + ("; longer notes fit in `notes`" if limit < NOTES_LIMIT else "")
        raise _Invalid(
            f"`{node.name}` is {len(text)} characters; at most {limit} fit", fix, node.at
        )
    return text


def _title(node: _Node, limit: int = TITLE_LIMIT) -> str:
    text = _text(node, limit)
    if not text or "\n" in text:
        problem = "is empty" if not text else "spans several lines"
        raise _Invalid(f"`{node.name}` {problem}", "write a one-line title", node.at)
    return text


def _id(node: _Node) -> str:
    text = _scalar(node, "an id")
    if not ID_PATTERN.fullmatch(text):
        example = slug(text) or "book-exam"
        fix = f"use lowercase letters, digits and '-', up to 63, e.g. `{example}`"
        raise _Invalid(f"id {_quote(text)} is not valid", fix, node.at)
    return text


def _date(node: _Node) -> date:
    text = _scalar(node, "a date")
    fix = "write an ISO date, e.g. 2027-04-30"
    if not _DATE.fullmatch(text):
        raise _Invalid(f"`{node.name}` {_quote(text)} is not a date", fix, node.at)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"`{node.name}` {text} is not a real date", fix, node.at) from None


def _time(node: _Node) -> time:
    text = _scalar(node, "a time")
    match = _TIME.fullmatch(text)
    if not match:
        raise _Invalid(
            f"`{node.name}` {_quote(text)} is not a time like 07:00", _QUOTE_FIX, node.at
        )
    return time(int(match.group(1)), int(match.group(2)))


def _duration(node: _Node) -> timedelta:
    text = _scalar(node, "a duration")
    try:
        value = parse_duration(text)
    except ValueError:
        negative = text.startswith("-")
        problem = "cannot be negative" if negative else f"{_quote(text)} is not a duration"
        fix = "write minutes and hours, e.g. 45m, 1h30m, 2h, or 90 (minutes)"
        raise _Invalid(f"`{node.name}` {problem}", fix, node.at) from None
    return value


def _flag(node: _Node) -> bool:
    text = _scalar(node, "true or false").lower()
    if text not in ("true", "false", "yes", "no", "on", "off"):
        fix = "write true or false"
        raise _Invalid(f"`{node.name}` must be true or false, not {_quote(text)}", fix, node.at)
    return text in ("true", "yes", "on")


def _number(node: _Node) -> float:
    text = _scalar(node, "a number")
    if not _NUMBER.fullmatch(text.replace("_", "")):
        fix = "write a plain number, e.g. 4 or 2.5"
        raise _Invalid(f"`{node.name}` {_quote(text)} is not a number", fix, node.at)
    return float(text.replace("_", ""))


def _choice(choices: Mapping[str, T], node: _Node) -> T:
    text = " ".join(_scalar(node, "a name").lower().split())
    if text not in choices:
        fix = _suggest(text, choices)
        raise _Invalid(f"unknown `{node.name}` {_quote(text)}", fix, node.at)
    return choices[text]


def _list(node: _Node, single: bool = False) -> tuple[_Node, ...]:
    """A list's items; with `single`, one plain value counts as a list of one."""
    if node.tag == "seq":
        return node.items
    if single and node.tag != "map":
        return (node,)
    fix = f"write `{node.name}` as a list, one `- item` per line"
    raise _Invalid(f"`{node.name}` must be a list, not {_describe(node)}", fix, node.head)


def _days(node: _Node) -> tuple[Weekday, ...]:
    days = [_choice(_DAY_NAMES, item) for item in _list(node, single=True)]
    if not days:
        raise _Invalid(f"`{node.name}` is empty", "name days, e.g. [mon, wed]", node.at)
    return tuple(dict.fromkeys(days))


def _after(node: _Node) -> tuple[tuple[str, _Node], ...]:
    return tuple((_id(item), item) for item in _list(node, single=True))


def _timezone(name: str, node: _Node | None) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        fix = _suggest(name, sorted(available_timezones()), "use an IANA name like Europe/London")
        if node is None:
            fix = f"set `timezone:` in the plan section; {fix}"
        raise _Invalid(
            f"unknown time zone {_quote(name)}", fix, node.at if node else None
        ) from None
    return name


# -- plan -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: date
    end: date

    def check(self, node: _Node, day: date) -> date:
        if not self.start <= day <= self.end:
            side = "before the plan's start" if day < self.start else "after the plan's end"
            bound = self.start if day < self.start else self.end
            fix = "move it inside the plan, or change the plan's start, horizon or end"
            raise _Invalid(f"`{node.name}` {day} is {side} ({bound})", fix, node.at)
        return day


@dataclass(frozen=True)
class _Item:
    """A milestone or an action as the cross-item rules see it."""

    level: str  # "milestone" or "action"
    id: str
    due: date
    node: _Node  # where its id is written, or its title when the id comes from it
    after: tuple[tuple[str, _Node], ...]


@contextmanager
def _located(node: _Node) -> Iterator[None]:
    """Map a model's ValidationError (the model's own checks) back to the YAML it came from."""
    try:
        yield
    except ValidationError as error:
        first = error.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else node.name
        at = node.entries[key].at if key in node.entries else node.head
        raise _Invalid(f"`{key}`: {first['msg']}", "check the value", at) from None


def _read_plan(
    root: _Node, today: date, default_timezone: str
) -> tuple[Plan, list[tuple[_At, str]]]:
    if root.tag != "map":
        fix = "start the file with `format: 1`, then `plan:` and `milestones:`"
        raise _Invalid(f"the file must be a mapping, not {_describe(root)}", fix, root.at)
    _check_format(root)
    top = _fields(root, TOP_KEYS, "the file")
    warnings: list[tuple[_At, str]] = []
    header = _need(top, "plan", lambda node: node, root)
    fields = _fields(header, PLAN_KEYS, "the `plan` section")
    title = _need(fields, "title", lambda node: _title(node, PLAN_TITLE_LIMIT), header)
    plan_id = _get(fields, "id", _id) or _slug_id(title, fields["title"])
    zone = fields.get("timezone")
    timezone = _timezone(_scalar(zone, "a time zone") if zone else default_timezone, zone)
    start = _get(fields, "start", _date) or today
    end, end_node = _end(fields, header, start)
    span = _Span(start, end)
    warnings += _horizon_warning(span, end_node)
    vision = _get(fields, "vision", _vision) or Vision()
    schedule, schedule_warnings = _read_schedule(top.get("schedule"))
    milestones, items = _read_milestones(top.get("milestones"), span)
    _check_counts(milestones, items, root)
    _check_items(items)
    if not schedule.windows and any(a.effort for m in milestones for a in m.actions):
        schedule_node = top.get("schedule", root)
        message = "no `windows` in `schedule`: no effort will be blocked"
        warnings.append((schedule_node.head, message))
    warnings += schedule_warnings
    with _located(header):
        plan = Plan(
            id=plan_id,
            title=title,
            timezone=timezone,
            start=start,
            end=end,
            vision=vision,
            schedule=schedule,
            milestones=milestones,
        )
    return plan, warnings


def _check_format(root: _Node) -> None:
    node = root.entries.get("format")
    if node is None:
        raise _Invalid("the file has no `format`", "add `format: 1` as its first line", root.at)
    text = _scalar(node, "a number")
    if text.isdecimal() and len(text) < 6 and int(text) in FORMATS:
        return
    if text.isdecimal() and len(text) < 6 and int(text) > max(FORMATS):
        fix = "upgrade careersync to read it"
        raise _Invalid(f"format {text} is newer than this careersync reads", fix, node.at)
    raise _Invalid(f"unknown format {_quote(text)}", "write `format: 1`", node.at)


def _slug_id(title: str, node: _Node) -> str:
    made = slug(title)
    if not made:
        fix = "add an `id:` of lowercase letters, digits and '-'"
        raise _Invalid(f"no id can be made from the title {_quote(title)}", fix, node.at)
    return made


def _end(fields: Mapping[str, _Node], header: _Node, start: date) -> tuple[date, _Node]:
    """The plan's last day, from `horizon` or `end` (exactly one of them)."""
    horizon, end = fields.get("horizon"), fields.get("end")
    if horizon and end:
        raise _Invalid("`horizon` and `end` are both set", "keep one of them", end.key_at)
    latest = add_months(start, 12 * MAX_YEARS) if start.year < 9999 - MAX_YEARS else date.max
    if horizon:
        text = _scalar(horizon, "a horizon")
        try:
            last = horizon_end(start, text)
        except ValueError as error:
            fix = "or give the last day as `end: YYYY-MM-DD`"
            raise _Invalid(f"`horizon`: {error}", fix, horizon.at) from None
        node = horizon
    elif end:
        last, node = _date(end), end
        if last < start:
            fix = "move `end` after `start`"
            raise _Invalid(f"`end` {last} is before the plan's start ({start})", fix, end.at)
    else:
        fix = "add `horizon: 15 months` (or another length) or `end: YYYY-MM-DD`"
        raise _Invalid("the plan needs a `horizon` or an `end`", fix, header.head)
    if last >= latest:
        fix = "plan at most 10 years ahead; coaching plans run 3-6 or 12-18 months"
        raise _Invalid(f"the plan runs past {latest}", fix, node.at)
    return last, node


def _horizon_warning(span: _Span, node: _Node) -> list[tuple[_At, str]]:
    days = (span.end - span.start).days + 1
    for low, high in COACHING_RANGES:
        if low * _MONTH_DAYS - _GRACE_DAYS <= days <= high * _MONTH_DAYS + _GRACE_DAYS:
            return []
    length = f"{days} days" if days < 60 else f"about {round(days / _MONTH_DAYS)} months"
    ranges = "3-6 months (a short-term plan) or 12-18 months (a vision plan)"
    return [(node.at, f"the plan runs {length}; coaching plans run {ranges}")]


def _vision(node: _Node) -> Vision:
    fields = _fields(node, VISION_KEYS, "`vision`")
    with _located(node):
        vision = Vision(**{key: _text(value) for key, value in fields.items()})
    if len(vision.text()) > VISION_LIMIT:
        fix = "shorten it; details fit in milestone notes"
        problem = f"the vision is {len(vision.text())} characters as a Todoist project description"
        raise _Invalid(f"{problem}; at most {VISION_LIMIT} fit", fix, node.head)
    return vision


def _read_schedule(node: _Node | None) -> tuple[Schedule, list[tuple[_At, str]]]:
    if node is None or node.tag == "null":
        return Schedule(), []
    fields = _fields(node, SCHEDULE_KEYS, "`schedule`")
    default = Schedule()
    hours = _get(fields, "weekly_hours", _number)
    if hours is not None and hours > 168:
        fix = "a week has 168 hours; 2 to 6 is typical"
        raise _Invalid(
            f"`weekly_hours` {hours:g} is more than a week", fix, fields["weekly_hours"].at
        )
    min_block = _get(fields, "min_block", _block) or default.min_block
    max_block = _get(fields, "max_block", _block) or default.max_block
    if min_block > max_block:
        key = "min_block" if "min_block" in fields else "max_block"
        shown = (
            f"{format_duration(min_block)} is longer than max_block {format_duration(max_block)}"
        )
        fix = "make min_block at most max_block"
        raise _Invalid(f"min_block {shown}", fix, fields[key].at)
    windows = default.windows
    if "windows" in fields:
        windows = tuple(_window(item) for item in _list(fields["windows"]))
    with _located(node):
        schedule = Schedule(
            weekly_hours=default.weekly_hours if hours is None else hours,
            min_block=min_block,
            max_block=max_block,
            windows=windows,
        )
    longest = max((_length(w.start, w.end) for w in windows), default=None)
    if longest is not None and longest < min_block:
        shown = f"min_block {format_duration(min_block)}"
        message = f"no window is as long as {shown}: no focus block fits"
        return schedule, [(node.head, message)]
    return schedule, []


def _length(start: time, end: time) -> timedelta:
    return timedelta(hours=end.hour - start.hour, minutes=end.minute - start.minute)


def _block(node: _Node) -> timedelta:
    length = _duration(node)
    if not timedelta(0) < length <= MAX_BLOCK:
        fix = "use a length between 1m and 24h, e.g. 30m"
        raise _Invalid(
            f"`{node.name}` {format_duration(length)} is not a block length", fix, node.at
        )
    return length


def _window(node: _Node) -> Window:
    fields = _fields(node, WINDOW_KEYS, "a window")
    days = _need(fields, "days", _days, node)
    start = _need(fields, "from", _time, node)
    end = _need(fields, "to", _time, node)
    if start >= end:
        fix = "make `to` later than `from` on the same day"
        raise _Invalid(
            f"the window ends ({end:%H:%M}) before it starts ({start:%H:%M})", fix, fields["to"].at
        )
    with _located(node):
        return Window(days=days, start=start, end=end)


def _read_milestones(node: _Node | None, span: _Span) -> tuple[tuple[Milestone, ...], list[_Item]]:
    if node is None or node.tag == "null":
        return (), []
    items: list[_Item] = []
    milestones = []
    for entry in _list(node):
        milestone, found = _milestone(entry, span)
        milestones.append(milestone)
        items += found
    return tuple(milestones), items


def _milestone(node: _Node, span: _Span) -> tuple[Milestone, list[_Item]]:
    fields = _fields(node, MILESTONE_KEYS, "a milestone")
    title = _need(fields, "title", _title, node)
    milestone_id = _get(fields, "id", _id) or _slug_id(title, fields["title"])
    due = _need(fields, "due", _date, node)
    span.check(fields["due"], due)
    kind = _get(fields, "kind", lambda value: _choice(_KINDS, value))
    after = _get(fields, "after", _after) or ()
    item = _Item("milestone", milestone_id, due, fields.get("id", fields["title"]), after)
    actions: list[Action] = []
    items = [item]
    for entry in _list(fields["actions"]) if "actions" in fields else ():
        action, action_item = _action(entry, item, kind, span)
        actions.append(action)
        items.append(action_item)
    with _located(node):
        milestone = Milestone(
            id=milestone_id,
            title=title,
            kind=kind,
            due=due,
            after=tuple(target for target, _ in after),
            notes=_get(fields, "notes", _text),
            actions=tuple(actions),
        )
    return milestone, items


def _action(node: _Node, milestone: _Item, kind: Kind | None, span: _Span) -> tuple[Action, _Item]:
    fields = _fields(node, ACTION_KEYS, "an action")
    title = _need(fields, "title", _title, node)
    action_id = _get(fields, "id", _id) or _slug_id(title, fields["title"])
    start = _get(fields, "start", _date)
    due = _get(fields, "due", _date)
    until = _get(fields, "until", _date)
    for key, day in (("start", start), ("due", due), ("until", until)):
        if day is not None:
            span.check(fields[key], day)
    if due is not None and due > milestone.due:
        fix = f"move it on or before {milestone.due}, or move the milestone's `due`"
        raise _Invalid(
            f"`due` {due} is after its milestone's due ({milestone.due})", fix, fields["due"].at
        )
    due = due or milestone.due
    if start is not None and start > due:
        shown = "its `due`" if "due" in fields else "its milestone's due"
        fix = "move `start` earlier or `due` later"
        raise _Invalid(f"`start` {start} is after {shown} ({due})", fix, fields["start"].at)
    recurrence = _recurrence(fields)
    if recurrence is None and "until" in fields:
        fix = "add `every: week` (or day, 2 weeks, month), or remove `until`"
        raise _Invalid("`until` applies to recurring actions only", fix, fields["until"].key_at)
    if recurrence is not None:
        until = until or milestone.due
        if start is not None and until < start:
            fix = "move `until` after `start`"
            raise _Invalid(
                f"`until` {until} is before `start` ({start})",
                fix,
                (fields.get("until") or fields["start"]).at,
            )
    effort = _get(fields, "effort", _duration) or timedelta(0)
    if effort > MAX_EFFORT:
        fix = "split it into smaller actions"
        raise _Invalid(
            f"`effort` {format_duration(effort)} is more than {format_duration(MAX_EFFORT)}",
            fix,
            fields["effort"].at,
        )
    checklist = (
        tuple(_title(item) for item in _list(fields["checklist"])) if "checklist" in fields else ()
    )
    after = _get(fields, "after", _after) or ()
    with _located(node):
        action = Action(
            id=action_id,
            title=title,
            kind=_get(fields, "kind", lambda value: _choice(_KINDS, value)) or kind,
            effort=effort,
            first=_get(fields, "first", _flag) or False,
            start=start,
            due=due,
            after=tuple(target for target, _ in after),
            checklist=checklist,
            recurrence=recurrence,
            until=until,
            notes=_get(fields, "notes", _text),
        )
    return action, _Item("action", action_id, due, fields.get("id", fields["title"]), after)


def _recurrence(fields: Mapping[str, _Node]) -> Recurrence | None:
    every = _get(fields, "every", lambda value: _choice(_EVERY, value))
    days = _get(fields, "days", _days)
    if every is None:
        if days is not None:
            fix = "add `every: week` to repeat on these days, or remove `days`"
            raise _Invalid("`days` applies to recurring actions only", fix, fields["days"].key_at)
        return None
    if days is not None and every == "month":
        fix = "use `every: week` or `every: 2 weeks` with `days`, or remove `days`"
        raise _Invalid("`days` does not go with `every: month`", fix, fields["days"].key_at)
    return Recurrence(every=every, days=days or ())


def _check_counts(milestones: tuple[Milestone, ...], items: list[_Item], root: _Node) -> None:
    """Todoist's limits on one project: 20 sections (milestones), 300 active tasks."""
    if len(milestones) > MILESTONE_LIMIT:
        extra = [item for item in items if item.level == "milestone"][MILESTONE_LIMIT]
        fix = "merge milestones, or split the plan into two files"
        sections = f"a Todoist project holds {MILESTONE_LIMIT} sections"
        message = f"the plan has {len(milestones)} milestones; {sections}"
        raise _Invalid(message, fix, extra.node.at)
    count = len(milestones) + sum(1 + len(a.checklist) for m in milestones for a in m.actions)
    if count > TASK_LIMIT:
        actions = len(items) - len(milestones)
        parts = f"{len(milestones)} milestones, {actions} actions and their checklists"
        fix = "split the plan into two files, or fold checklist items into notes"
        message = f"the plan makes {count} Todoist tasks ({parts}); a project holds {TASK_LIMIT}"
        top = root.entries.get("milestones")
        raise _Invalid(message, fix, top.head if top else root.at)


_A = {"milestone": "a milestone", "action": "an action"}


def _check_items(items: list[_Item]) -> None:
    """Ids unique, each `after` naming an item of the same level, no dependency cycle."""
    by_id: dict[str, _Item] = {}
    for item in items:
        if item.id in by_id:
            fix = "give one of them another `id:`"
            shown = f"id `{item.id}` is used twice (first on line {by_id[item.id].node.at.line})"
            raise _Invalid(shown, fix, item.node.at)
        by_id[item.id] = item
    for item in items:
        same = [other.id for other in items if other.level == item.level]
        for target, node in item.after:
            other = by_id.get(target)
            if other is None:
                fix = _suggest(target, same, f"use the id of {_A[item.level]}")
                raise _Invalid(
                    f"`after` names {_quote(target)}, which is not an id in the plan", fix, node.at
                )
            if other.level != item.level:
                fix = f"{_A[item.level]} comes after {item.level}s: {', '.join(same)}"
                raise _Invalid(
                    f"`after` names {_quote(target)}, which is a {other.level}", fix, node.at
                )
            if item.level == "milestone" and item.due < other.due:
                fix = f"move its `due` on or after {other.due}, or remove {_quote(target)} from `after`"
                shown = f"`{item.id}` is due {item.due}, before `{target}` ({other.due})"
                raise _Invalid(f"milestone {shown}, which it comes after", fix, node.at)
    for level in ("milestone", "action"):
        graph = {item.id: item for item in items if item.level == level}
        cycle = _find_cycle({key: [t for t, _ in item.after] for key, item in graph.items()})
        if cycle:
            node = next(n for t, n in graph[cycle[-2]].after if t == cycle[-1])
            fix = "remove one of these from `after`"
            raise _Invalid(
                f"the {level}s depend on each other in a cycle: {' -> '.join(cycle)}", fix, node.at
            )


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path that ends where it starts, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(key: str) -> list[str] | None:
        path.append(key)
        for target in graph[key]:
            if target in path:
                return [*path[path.index(target) :], target]
            if target not in done:
                found = visit(target)
                if found:
                    return found
        path.pop()
        done.add(key)
        return None

    for key in graph:
        if key not in done:
            cycle = visit(key)
            if cycle:
                return cycle
    return None
