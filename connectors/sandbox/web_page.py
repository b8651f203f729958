"""The sandbox page's HTML: the emulated Todoist beside a week of the emulated calendars.

Pure rendering over the emulators' inspection methods; every string that came from a user or a
client goes through `_e` (HTML-escaped, quotes included). No script: the buttons are forms, an
event's actions open from the event itself (`<details>`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from connectors.sandbox import Sandbox

HOUR_PX = 44  # the height of an hour in the week view
PRIORITY = {4: "p1", 3: "p2", 2: "p3"}  # the API's 4 is the app's red "P1"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


@dataclass(frozen=True)
class Segment:
    """The part of one event that falls on one day of the week view."""

    calendar: str
    event: dict[str, Any]
    kind: str  # busy, free, block, milestone, careersync
    start: datetime
    end: datetime


def render(sandbox: Sandbox, *, week: date | None, note: str) -> str:
    tz = ZoneInfo(sandbox.google.time_zone)
    now = sandbox.clock().astimezone(tz)
    monday = (week or now.date()) - timedelta(days=(week or now.date()).weekday())
    back = "/?" + urlencode({"week": monday.isoformat()})
    banner = f'<p class="note" role="status">{_e(note)}</p>' if note else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>careersync sandbox</title><style>{CSS}</style></head>
<body><header><h1>careersync sandbox</h1>
<span>the emulated Todoist and Google Calendar on this machine &middot;
sandbox clock {now:%a %d %b %Y %H:%M} {_e(tz.key)}</span></header>{banner}
<main><section class="todoist" aria-label="Todoist">{_todoist(sandbox, back)}</section>
<section class="calendar" aria-label="Calendar">{_week(sandbox, monday, now, back)}</section>
</main></body></html>"""


# Todoist --------------------------------------------------------------------------------------


def _todoist(sandbox: Sandbox, back: str) -> str:
    emulator = sandbox.todoist
    today = sandbox.clock().astimezone(ZoneInfo(emulator.timezone)).date()
    tasks = emulator.tasks(include_completed=True)
    by_project: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        by_project[task["project_id"]].append(task)
    out = ["<h2>Todoist</h2>"]
    for project in emulator.projects():
        own = by_project.get(project["id"], [])
        if project.get("inbox_project") and not own:
            continue
        archived = " (archived)" if project.get("is_archived") else ""
        out.append(f'<div class="project"><h3>{_e(project["name"])}{archived}</h3>')
        if project.get("description"):
            out.append(f'<p class="desc">{_e(_first_line(project["description"]))}</p>')
        children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for task in own:
            children[task["parent_id"]].append(task)
        for kids in children.values():
            kids.sort(key=lambda t: (t["checked"], t["child_order"]))
        sections = [(None, "")] + [(s["id"], s["name"]) for s in emulator.sections(project["id"])]
        for section_id, name in sections:
            top = [t for t in children[None] if t["section_id"] == section_id]
            if name:
                out.append(f'<h4 class="section">{_e(name)}</h4>')
            out.append(_task_list(top, children, today, back))
        if not own:
            out.append('<p class="empty">no tasks</p>')
        out.append("</div>")
    return "".join(out)


def _task_list(
    tasks: list[dict[str, Any]],
    children: dict[str | None, list[dict[str, Any]]],
    today: date,
    back: str,
) -> str:
    if not tasks:
        return ""
    rows = "".join(_task(t, children, today, back) for t in tasks)
    return f'<ul class="tasks">{rows}</ul>'


def _task(
    task: dict[str, Any],
    children: dict[str | None, list[dict[str, Any]]],
    today: date,
    back: str,
) -> str:
    done = bool(task["checked"])
    op, label = ("reopen", "Reopen") if done else ("complete", "Complete")
    meta = [*_due(task.get("due"), today, done)]
    if task.get("deadline"):
        meta.append(f'<span class="deadline">deadline {_day(task["deadline"]["date"])}</span>')
    if task.get("duration"):
        meta.append(f'<span class="duration">{_e(_duration(task["duration"]))}</span>')
    meta += [f'<span class="label">@{_e(name)}</span>' for name in task.get("labels") or []]
    priority = PRIORITY.get(int(task.get("priority") or 1), "p4")
    desc = _first_line(task.get("description") or "")
    sub = _task_list(children.get(task["id"], []), children, today, back)
    return (
        f'<li class="task{" done" if done else ""}" data-task="{_e(task["id"])}">'
        f'<form method="post" action="/ui/task">'
        f'<input type="hidden" name="task" value="{_e(task["id"])}">'
        f'<input type="hidden" name="op" value="{op}">'
        f'<input type="hidden" name="back" value="{_e(back)}">'
        f'<button class="check {priority}" title="{label}" aria-label="{label}: '
        f'{_e(task["content"])}">{"&#10003;" if done else ""}</button></form>'
        f'<div class="body"><span class="content">{_e(task["content"])}</span>'
        + (f'<span class="desc">{_e(desc)}</span>' if desc else "")
        + (f'<span class="meta">{" ".join(meta)}</span>' if meta else "")
        + f"{sub}</div></li>"
    )


def _due(due: dict[str, Any] | None, today: date, done: bool) -> list[str]:
    if not due:
        return []
    raw = str(due["date"])
    day = date.fromisoformat(raw[:10])
    text = _day(raw[:10])
    if len(raw) > 10:
        text += " " + raw[11:16] + (" UTC" if raw.endswith("Z") else "")
    cls = "due late" if day < today and not done else "due today" if day == today else "due"
    recurring = f" &#8635; {_e(due.get('string', ''))}" if due.get("is_recurring") else ""
    return [f'<span class="{cls}">{_e(text)}{recurring}</span>']


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso[:10]):%a %d %b %Y}"


def _duration(duration: dict[str, Any]) -> str:
    amount = int(duration["amount"])
    if duration.get("unit") == "day":
        return f"{amount} day" + ("s" if amount != 1 else "")
    hours, minutes = divmod(amount, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 120 else line[:119] + "\u2026"


# The week -------------------------------------------------------------------------------------


def _week(sandbox: Sandbox, monday: date, now: datetime, back: str) -> str:
    tz = now.tzinfo
    assert isinstance(tz, ZoneInfo)
    days = [monday + timedelta(days=n) for n in range(7)]
    timed, all_day = _segments(sandbox, days, tz)
    first, last = 7, 21
    for seg in (s for segs in timed.values() for s in segs):
        first = min(first, seg.start.hour)
        last = max(last, seg.end.hour + (1 if seg.end.minute else 0) or 24)
    hours = range(first, last)
    nav = _nav(monday, now.date())
    head = "".join(
        f'<div class="dayhead{" today" if d == now.date() else ""}">{d:%a}<b>{d.day}</b></div>'
        for d in days
    )
    tops = "".join(
        '<div class="allday">'
        + "".join(_event(s, back, tz, None, 0, 1) for s in all_day.get(d, []))
        + "</div>"
        for d in days
    )
    ruler = "".join(f'<div class="hour" style="height:{HOUR_PX}px">{h:02d}:00</div>' for h in hours)
    columns = []
    for d in days:
        segs = timed.get(d, [])
        lanes = _lanes(segs)
        body = "".join(_event(s, back, tz, first, *lanes[i]) for i, s in enumerate(segs))
        if d == now.date() and first <= now.hour < last:
            top = (now.hour - first) * HOUR_PX + now.minute * HOUR_PX // 60
            body += f'<div class="now" style="top:{top}px" title="sandbox clock"></div>'
        height = len(hours) * HOUR_PX
        columns.append(f'<div class="day" style="height:{height}px">{body}</div>')
    legend = (
        '<p class="legend"><span class="ev block">careersync focus block</span>'
        '<span class="ev milestone">milestone</span><span class="ev busy">your own event</span>'
        "<span>click an event to move or delete it</span></p>"
    )
    return (
        f"<h2>Calendar</h2>{nav}{legend}"
        f'<div class="grid"><div class="corner"></div>{head}'
        f'<div class="corner">all day</div>{tops}'
        f'<div class="ruler">{ruler}</div>{"".join(columns)}</div>'
    )


def _nav(monday: date, today: date) -> str:
    def link(day: date, text: str, rel: str) -> str:
        return f'<a rel="{rel}" href="/?week={day.isoformat()}">{text}</a>'

    sunday = monday + timedelta(days=6)
    return (
        '<nav class="weeknav">'
        + link(monday - timedelta(days=7), "&#8249; previous week", "prev")
        + link(today, "this week", "bookmark")
        + link(monday + timedelta(days=7), "next week &#8250;", "next")
        + f'<span class="range">{monday:%d %b} &ndash; {sunday:%d %b %Y}</span>'
        + '<form method="get" action="/"><input type="date" name="week" aria-label="go to week"'
        + f' value="{monday.isoformat()}"><button>go</button></form></nav>'
    )


def _segments(
    sandbox: Sandbox, days: list[date], tz: ZoneInfo
) -> tuple[dict[date, list[Segment]], dict[date, list[Segment]]]:
    """Every event of every calendar that falls in `days`, cut at midnight (in `tz`)."""
    google = sandbox.google
    timed: dict[date, list[Segment]] = defaultdict(list)
    all_day: dict[date, list[Segment]] = defaultdict(list)
    lo = datetime.combine(days[0], time(), tz)
    hi = datetime.combine(days[-1] + timedelta(days=1), time(), tz)
    for calendar in google.calendars():
        for event in google.events(calendar["id"]):
            kind = _kind(event)
            if "date" in event["start"]:
                first = date.fromisoformat(event["start"]["date"])
                end = date.fromisoformat(event["end"]["date"])
                for d in days:
                    if first <= d < end:
                        all_day[d].append(Segment(calendar["id"], event, kind, lo, lo))
                continue
            start = _instant(event["start"]["dateTime"]).astimezone(tz)
            end_at = _instant(event["end"]["dateTime"]).astimezone(tz)
            if end_at <= lo or start >= hi:
                continue
            for d in days:
                d0 = datetime.combine(d, time(), tz)
                d1 = datetime.combine(d + timedelta(days=1), time(), tz)
                if start < d1 and end_at > d0:
                    seg = Segment(calendar["id"], event, kind, max(start, d0), min(end_at, d1))
                    timed[d].append(seg)
    for segs in timed.values():
        segs.sort(key=lambda s: (s.start, s.end))
    return timed, all_day


def _kind(event: dict[str, Any]) -> str:
    key = str(
        ((event.get("extendedProperties") or {}).get("private") or {}).get("careersync_key", "")
    )
    if key.startswith("block:"):
        return "block"
    if key.startswith("milestone:"):
        return "milestone"
    if key:
        return "careersync"
    return "free" if event.get("transparency") == "transparent" else "busy"


def _instant(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _lanes(segs: list[Segment]) -> list[tuple[int, int]]:
    """(lane, lanes) per segment: overlapping events share their day's width."""
    placed: list[tuple[int, int]] = []
    i = 0
    while i < len(segs):  # one cluster of overlapping events at a time
        ends: list[datetime] = []
        lanes: list[int] = []
        cluster_end, j = segs[i].end, i
        while j < len(segs) and (j == i or segs[j].start < cluster_end):
            seg = segs[j]
            lane = next((n for n, end in enumerate(ends) if end <= seg.start), len(ends))
            ends[lane : lane + 1] = [seg.end]
            lanes.append(lane)
            cluster_end, j = max(cluster_end, seg.end), j + 1
        placed += [(lane, len(ends)) for lane in lanes]
        i = j
    return placed


def _event(seg: Segment, back: str, tz: ZoneInfo, first: int | None, lane: int, lanes: int) -> str:
    event = seg.event
    title = event.get("summary") or "(no title)"
    style = ""
    when = "all day"
    if first is not None:
        top = ((seg.start.hour - first) * 60 + seg.start.minute) * HOUR_PX // 60
        minutes = max(int((seg.end - seg.start).total_seconds() // 60), 20)
        width = 100 / lanes
        style = (
            f' style="top:{top}px;height:{minutes * HOUR_PX // 60 - 2}px;'
            f'left:{lane * width:.2f}%;width:calc({width:.2f}% - 3px)"'
        )
        when = f"{seg.start:%H:%M}&ndash;{seg.end:%H:%M}"
    hidden = (
        f'<input type="hidden" name="calendar" value="{_e(seg.calendar)}">'
        f'<input type="hidden" name="event" value="{_e(event["id"])}">'
        f'<input type="hidden" name="back" value="{_e(back)}">'
    )
    moves = [(-1440, "&minus;1 day"), (1440, "+1 day")]
    if first is not None:
        moves = [(-60, "&minus;1 h"), (60, "+1 h"), *moves]
    buttons = "".join(
        f'<form method="post" action="/ui/event">{hidden}<input type="hidden" name="op" value="move">'
        f'<input type="hidden" name="minutes" value="{m}"><button>{text}</button></form>'
        for m, text in moves
    )
    buttons += (
        f'<form method="post" action="/ui/event">{hidden}<input type="hidden" name="op" '
        'value="delete"><button class="danger">delete</button></form>'
    )
    desc = _first_line(event.get("description") or "")
    return (
        f'<details class="ev {seg.kind}"{style} data-event="{_e(event["id"])}">'
        f'<summary title="{_e(title)}"><b>{_e(title)}</b> <span>{when}</span></summary>'
        f'<div class="pop"><b>{_e(title)}</b><span>{seg.start:%a %d %b} {when}</span>'
        + (f'<span class="desc">{_e(desc)}</span>' if desc else "")
        + f'<div class="actions">{buttons}</div></div></details>'
    )


CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 "Liberation Sans",Arial,sans-serif;color:#202124;background:#f6f7f9}
header{display:flex;gap:16px;align-items:baseline;padding:10px 20px;background:#fff;
border-bottom:1px solid #dadce0}
header h1{font-size:18px;margin:0}header span{color:#5f6368;font-size:13px}
.note{margin:10px 20px 0;padding:8px 12px;background:#e6f4ea;border:1px solid #a8dab5;
border-radius:6px}
main{display:grid;grid-template-columns:minmax(300px,380px) 1fr;gap:16px;padding:12px 20px}
section{background:#fff;border:1px solid #dadce0;border-radius:8px;padding:10px 14px;min-width:0}
h2{font-size:16px;margin:4px 0 8px}h3{font-size:15px;margin:10px 0 2px;color:#202124}
h4.section{font-size:13px;margin:12px 0 2px;padding-bottom:3px;border-bottom:1px solid #eee}
.desc{display:block;color:#70757a;font-size:12px}.empty{color:#70757a}
ul.tasks{list-style:none;margin:0;padding:0}ul.tasks ul.tasks{margin-left:4px}
li.task{display:flex;gap:8px;padding:5px 0;border-bottom:1px solid #f1f1f1}
li.task form{margin:0}.body{min-width:0;flex:1}.content{display:block}
li.done>.body>.content{text-decoration:line-through;color:#9aa0a6}
button.check{width:18px;height:18px;border-radius:50%;border:1.5px solid #9aa0a6;
background:#fff;padding:0;font-size:11px;line-height:15px;cursor:pointer;color:#fff;
margin-top:1px}
button.check.p1{border-color:#d1453b;background:#fbeae9}
button.check.p2{border-color:#eb8909;background:#fdf3e6}
button.check.p3{border-color:#246fe0;background:#e9f0fc}
li.done button.check{background:#9aa0a6;border-color:#9aa0a6}
.meta{display:flex;flex-wrap:wrap;gap:4px 8px;font-size:12px;color:#5f6368}
.due{color:#058527}.due.late{color:#d1453b}.due.today{color:#246fe0}
.label{color:#8a5cc2}.deadline{color:#b8255f}.duration{color:#5f6368}
.weeknav{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin-bottom:6px}
.weeknav a{color:#1a73e8;text-decoration:none}.weeknav .range{font-weight:bold}
.weeknav form{margin-left:auto}
.legend{display:flex;gap:10px;font-size:12px;color:#5f6368;margin:4px 0 8px;align-items:center}
.legend .ev{position:static;padding:1px 6px;border-radius:4px}
.grid{display:grid;grid-template-columns:44px repeat(7,minmax(0,1fr));border-top:1px solid #dadce0}
.corner{font-size:11px;color:#70757a;padding:2px}
.dayhead{text-align:center;color:#5f6368;font-size:12px;padding:4px 0}
.dayhead b{display:block;font-size:18px;color:#202124}
.dayhead.today b{color:#fff;background:#1a73e8;border-radius:50%;width:30px;margin:auto}
.allday{border-left:1px solid #eee;border-bottom:1px solid #dadce0;min-height:26px;padding:2px}
.allday .ev{position:relative;display:block;margin-bottom:2px}
.ruler{grid-column:1}.hour{font-size:11px;color:#70757a;text-align:right;padding-right:4px;
transform:translateY(-7px)}
.day{position:relative;border-left:1px solid #eee;background:repeating-linear-gradient(
#fff 0,#fff 43px,#eee 43px,#eee 44px)}
.ev{position:absolute;border-radius:4px;font-size:11px;line-height:1.25;overflow:visible}
.ev summary{list-style:none;cursor:pointer;height:100%;overflow:hidden;padding:2px 4px;
border-radius:4px}
.ev summary::-webkit-details-marker{display:none}
.ev summary span{opacity:.85}
.ev.block summary,.legend .ev.block{background:#039be5;color:#fff}
.ev.milestone summary,.legend .ev.milestone{background:#8e24aa;color:#fff}
.ev.busy summary,.legend .ev.busy{background:#e0e0e0;color:#3c4043;border-left:3px solid #9e9e9e}
.ev.free summary{background:#fff;color:#3c4043;border:1px dashed #bdbdbd}
.ev.careersync summary{background:#7cb342;color:#fff}
.ev[open]{z-index:20}
.pop{position:absolute;top:100%;left:0;min-width:230px;background:#fff;color:#202124;
border:1px solid #dadce0;border-radius:8px;box-shadow:0 4px 14px rgba(0,0,0,.18);padding:8px 10px;
display:flex;flex-direction:column;gap:2px;font-size:12px}
.actions{display:flex;flex-wrap:wrap;gap:4px;margin-top:6px}.actions form{margin:0}
.actions button,.weeknav button{font-size:12px;padding:2px 8px;border:1px solid #dadce0;
border-radius:4px;background:#f8f9fa;cursor:pointer}
.actions button.danger{color:#d1453b}
.now{position:absolute;left:0;right:0;border-top:2px solid #ea4335;z-index:5}
@media (max-width:900px){main{grid-template-columns:1fr}}
"""
