"""The progress report: one self-contained HTML page (inline CSS and SVG, no script, no network).

`render_report` draws what `sync.progress` measured: the vision, a timeline of milestones, a
burn-up chart per milestone, progress by kind and by month, and the next focus blocks. Every
chart is SVG drawn here, so the page opens the same offline, in any browser, and prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from html import escape

from sync.durations import format_duration as duration
from sync.plan import Plan
from sync.progress import BurnupPoint, Count, MilestoneProgress, PlanProgress, State

Upcoming = tuple[str, str, datetime, datetime]  # action id, title, start, end

STATE_COLOURS: Mapping[State, str] = {
    "done": "#2f9e44",
    "on track": "#1c7ed6",
    "at risk": "#e8590c",
    "late": "#e03131",
}
KIND_COLOURS = {"knowledge": "#7048e8", "skills": "#0c8599", "experience": "#c2255c"}
_GREY = "#868e96"
_PLANNED = "#adb5bd"
_INK = "#212529"
_MUTED = "#6c757d"
_RULE = "#e9ecef"


def render_report(
    plan: Plan,
    progress: PlanProgress,
    burnups: Mapping[str, Sequence[BurnupPoint]],
    upcoming: Sequence[Upcoming] = (),
) -> str:
    """The whole page. `burnups` maps milestone ids to `sync.progress.burnup` points."""
    today = progress.now.astimezone(plan.tz).date()
    sections = [
        _header(plan, progress, today),
        _vision(plan),
        _section("Milestones", _timeline(plan, progress, today) + _milestone_list(progress)),
        _section("Burn-up", _burnups(progress, burnups, today), "burnups"),
        _section("By kind", _by_kind(progress), "by-kind"),
        _section("By month", _by_month(progress, today), "by-month"),
        _section("Next focus blocks", _upcoming(plan, upcoming), "upcoming"),
    ]
    return _PAGE.format(
        title=escape(f"{plan.title}: progress"),
        css=_CSS,
        body="\n".join(s for s in sections if s),
        footer=escape(f"careersync report for plan {plan.id}, as of {today.isoformat()}"),
    )


# --- page parts ---------------------------------------------------------------------------


def _section(title: str, body: str, css_id: str = "") -> str:
    anchor = f' id="{css_id}"' if css_id else ""
    return f'<section class="card"{anchor}><h2>{escape(title)}</h2>{body}</section>'


def _header(plan: Plan, progress: PlanProgress, today: date) -> str:
    overall = progress.overall
    states = [m.state for m in progress.milestones]
    tally = ", ".join(
        f'<span style="color:{STATE_COLOURS[s]}">{states.count(s)} {s}</span>'
        for s in STATE_COLOURS
        if s in states
    )
    tiles = [
        ("Overall", f"{overall.percent:.0f}%", _bar(overall.percent, STATE_COLOURS["on track"])),
        ("Effort", duration(overall.effort_done), f"of {duration(overall.effort_total)} planned"),
        ("Actions", f"{overall.done}/{overall.total}", "done"),
        ("Pace", duration(progress.pace), "a week since the start"),
        ("Milestones", str(len(states)), tally or "none yet"),
    ]
    tile_html = "".join(
        f'<div class="tile"><div class="label">{escape(label)}</div>'
        f'<div class="figure">{escape(figure)}</div><div class="sub">{sub}</div></div>'
        for label, figure, sub in tiles
    )
    span = f"{_long(plan.start)} to {_long(plan.end)} · as of {_long(today)}"
    return (
        f'<header><p class="eyebrow">Career plan</p><h1>{escape(plan.title)}</h1>'
        f'<p class="dates">{escape(span)}</p><div class="tiles">{tile_html}</div></header>'
    )


def _vision(plan: Plan) -> str:
    v = plan.vision
    items = [("Where", v.where), ("Doing", v.doing), ("Who", v.who), ("Notes", v.notes)]
    cells = "".join(
        f"<div><dt>{label}</dt><dd>{escape(text)}</dd></div>" for label, text in items if text
    )
    return _section("Vision", f'<dl class="vision">{cells}</dl>', "vision") if cells else ""


def _timeline(plan: Plan, progress: PlanProgress, today: date) -> str:
    """The plan's span as a line, months as ticks, each milestone a numbered dot on its due date."""
    width, left, right, y = 1000, 20, 20, 46
    first = plan.start
    last = max([plan.end, *(m.due for m in progress.milestones)])
    x = _scale_dates(first, last, left, width - right)
    parts = [_line(left, y, width - right, y, "axis")]
    for tick, label in _month_labels(_month_ticks(first, last, 14)):
        xt = x(tick)
        parts.append(_line(xt, y - 4, xt, y + 4, "axis"))
        parts.append(_text(xt, y + 22, label, "middle", "tick"))
    if first <= today <= last:
        parts.append(_today_marker(x(today), 8, y + 8))
    for n, m in enumerate(progress.milestones, 1):
        cx, colour = x(m.due), STATE_COLOURS[m.state]
        parts.append(
            f'<g class="milestone-dot"><title>{escape(f"{m.title}: due {m.due}, {m.state}")}'
            "</title>"
            f'<circle cx="{cx:.1f}" cy="{y}" r="11" fill="{colour}"/>'
            f"{_text(cx, y + 4, str(n), 'middle', 'dot-label')}</g>"
        )
    return _svg(width, 82, "".join(parts), "timeline", "Timeline of the milestones")


def _milestone_list(progress: PlanProgress) -> str:
    rows = []
    for n, m in enumerate(progress.milestones, 1):
        colour = STATE_COLOURS[m.state]
        rows.append(
            f'<li class="milestone" data-state="{escape(m.state)}">'
            f'<span class="num" style="background:{colour}">{n}</span>'
            f'<div class="what"><div class="title">{escape(m.title)}</div>'
            f'<div class="meta">{_kind_chip(m.kind)}due {escape(_long(m.due))}</div></div>'
            f'<div class="how">{_bar(m.percent, colour)}'
            f'<div class="meta">{escape(_figures(m.count, m.percent))}</div></div>'
            f'<div class="state"><span class="badge" style="background:{colour}">'
            f'{escape(m.state)}</span><div class="meta">{escape(_outlook(m))}</div></div></li>'
        )
    if not rows:
        return '<p class="empty">No milestones in the plan yet.</p>'
    return f'<ol class="milestones">{"".join(rows)}</ol>'


def _burnups(
    progress: PlanProgress, burnups: Mapping[str, Sequence[BurnupPoint]], today: date
) -> str:
    cards = []
    for n, m in enumerate(progress.milestones, 1):
        points = burnups.get(m.id)
        if not points:
            continue
        cards.append(
            f'<figure class="burnup"><figcaption><span class="num" '
            f'style="background:{STATE_COLOURS[m.state]}">{n}</span>{escape(m.title)}</figcaption>'
            f"{_burnup_chart(m, points, today)}</figure>"
        )
    legend = (
        '<p class="legend"><span class="key planned"></span>planned '
        '<span class="key done"></span>done, in the colour of its state '
        '<span class="key due"></span>due date</p>'
    )
    return legend + f'<div class="grid">{"".join(cards)}</div>' if cards else ""


def _burnup_chart(m: MilestoneProgress, points: Sequence[BurnupPoint], today: date) -> str:
    width, height = 480, 240
    left, right, top, bottom = 52, 14, 14, 34
    first, last = points[0].day, points[-1].day
    x = _scale_dates(first, last, left, width - right)
    peak = max(max(p.planned for p in points), max((p.done or timedelta(0)) for p in points))
    step, top_value = _hour_ticks(peak)
    y = _scale(0, top_value.total_seconds(), height - bottom, top)
    colour = STATE_COLOURS[m.state]
    parts = _axes(left, width - right, top, height - bottom)
    parts += _hour_grid(left, width - right, y, step, top_value)
    for tick, label in _month_labels(_month_ticks(first, last, 6)):
        parts.append(_text(x(tick), height - bottom + 18, label, "middle", "tick"))
    if first <= m.due <= last:
        xd = x(m.due)
        parts.append(_line(xd, top, xd, height - bottom, "due"))
    if first <= today <= last:
        parts.append(_today_marker(x(today), top, height - bottom))
    planned = " ".join(f"{x(p.day):.1f},{y(p.planned.total_seconds()):.1f}" for p in points)
    parts.append(f'<polyline points="{planned}" class="planned"/>')
    done = [(x(p.day), y(p.done.total_seconds())) for p in points if p.done is not None]
    if done:
        line = " ".join(f"{px:.1f},{py:.1f}" for px, py in done)
        base = y(0)
        area = f"{done[0][0]:.1f},{base:.1f} {line} {done[-1][0]:.1f},{base:.1f}"
        parts.append(f'<polygon points="{area}" fill="{colour}" fill-opacity="0.12"/>')
        parts.append(f'<polyline points="{line}" class="done" stroke="{colour}"/>')
        px, py = done[-1]
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>')
    label = f"Burn-up of {m.title}: planned and done effort over time"
    return _svg(width, height, "".join(parts), "chart burnup-chart", label)


def _by_kind(progress: PlanProgress) -> str:
    rows = []
    for kind, count in sorted(progress.by_kind.items()):
        colour = KIND_COLOURS.get(kind, _GREY)
        rows.append(
            f'<div class="kind-row"><div class="kind-name">{_kind_chip(kind)}</div>'
            f"{_bar(count.percent, colour)}"
            f'<div class="meta">{escape(_figures(count, count.percent))}</div></div>'
        )
    return "".join(rows) or '<p class="empty">No actions yet.</p>'


def _by_month(progress: PlanProgress, today: date) -> str:
    months = progress.by_month
    if not months:
        return ""
    width, height = 1000, 250
    left, right, top, bottom = 56, 12, 16, 40
    step, top_value = _hour_ticks(max(max(m.planned, m.done) for m in months))
    y = _scale(0, top_value.total_seconds(), height - bottom, top)
    slot = (width - left - right) / len(months)
    bar = min(22.0, slot * 0.36)
    parts = _axes(left, width - right, top, height - bottom)
    parts += _hour_grid(left, width - right, y, step, top_value)
    this_month = today.replace(day=1)
    every = max(1, -(-len(months) // 14))
    labels = dict(_month_labels([m.month for m in months][::every]))
    for i, m in enumerate(months):
        mid = left + slot * (i + 0.5)
        if m.month == this_month:
            x0 = left + slot * i
            parts.append(
                f'<rect x="{x0:.1f}" y="{top}" width="{slot:.1f}" height="{y(0) - top:.1f}" '
                'class="this-month"/>'
            )
        for value, dx, css in ((m.planned, -bar - 1, "bar-planned"), (m.done, 1, "bar-done")):
            top_y = y(value.total_seconds())
            parts.append(
                f'<rect x="{mid + dx:.1f}" y="{top_y:.1f}" width="{bar:.1f}" '
                f'height="{y(0) - top_y:.1f}" class="{css}"><title>'
                f"{escape(f'{m.month:%B %Y}: {duration(value)} {css[4:]}')}</title></rect>"
            )
        if m.month in labels:
            css = "tick strong" if m.month == this_month else "tick"
            parts.append(_text(mid, height - bottom + 18, labels[m.month], "middle", css))
    legend = (
        '<p class="legend"><span class="key bar-planned"></span>planned (by due date) '
        '<span class="key bar-done"></span>done (by completion date) '
        '<span class="key this-month"></span>this month</p>'
    )
    chart = _svg(
        width, height, "".join(parts), "chart month-chart", "Effort planned and done per month"
    )
    return legend + chart


def _upcoming(plan: Plan, upcoming: Sequence[Upcoming]) -> str:
    if not upcoming:
        return '<p class="empty">No focus blocks planned yet.</p>'
    tz = plan.tz
    rows = []
    for _action_id, title, start, end in sorted(upcoming, key=lambda u: u[2]):
        s, e = start.astimezone(tz), end.astimezone(tz)
        rows.append(
            f"<tr><td>{escape(f'{s:%a} {s.day} {s:%b}')}</td>"
            f"<td>{escape(f'{s:%H:%M}–{e:%H:%M}')}</td><td>{escape(title)}</td>"
            f'<td class="num-col">{escape(duration(end - start))}</td></tr>'
        )
    return (
        '<table class="blocks"><thead><tr><th>Day</th><th>Time</th><th>Action</th>'
        f'<th class="num-col">Length</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


# --- small pieces -------------------------------------------------------------------------


def _figures(count: Count, percent: float) -> str:
    return (
        f"{count.done}/{count.total} actions · {duration(count.effort_done)} of "
        f"{duration(count.effort_total)} ({percent:.0f}%)"
    )


def _outlook(m: MilestoneProgress) -> str:
    if m.done:
        return f"done {_long(m.completed_at.date())}" if m.completed_at else "done"
    if m.forecast is None:
        return "no forecast yet"
    return f"forecast {_long(m.forecast)}"


def _bar(percent: float, colour: str) -> str:
    return (
        f'<div class="bar" role="img" aria-label="{percent:.0f}%"><div style="width:{percent:.1f}%;'
        f'background:{colour}"></div></div>'
    )


def _kind_chip(kind: str | None) -> str:
    if not kind:
        return ""
    colour = KIND_COLOURS.get(kind, _GREY)
    return f'<span class="chip" style="color:{colour};border-color:{colour}">{escape(kind)}</span>'


def _long(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _svg(width: int, height: int, body: str, css: str, label: str) -> str:
    return (
        f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _text(x: float, y: float, text: str, anchor: str, css: str) -> str:
    position = f'x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"'
    return f'<text {position} class="{css}">{escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, css: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="{css}"/>'


def _axes(x0: float, x1: float, y0: float, y1: float) -> list[str]:
    return [_line(x0, y0, x0, y1, "axis"), _line(x0, y1, x1, y1, "axis")]


def _hour_grid(x0: float, x1: float, y: _Linear, step: timedelta, top: timedelta) -> list[str]:
    """Gridlines every `step` up to `top`, labelled in hours and minutes, and the 0 label."""
    parts = [_text(x0 - 6, y(0) + 4, "0", "end", "tick")]
    for value in _range(step, top):
        yy = y(value.total_seconds())
        parts.append(_line(x0, yy, x1, yy, "gridline"))
        parts.append(_text(x0 - 6, yy + 4, duration(value), "end", "tick"))
    return parts


def _today_marker(x: float, y0: float, y1: float) -> str:
    return _line(x, y0, x, y1, "today") + _text(x + 4, y0 + 9, "today", "start", "today-label")


def _scale(v0: float, v1: float, p0: float, p1: float) -> _Linear:
    return _Linear(v0, v1, p0, p1)


class _Linear:
    """Maps values v0..v1 onto positions p0..p1."""

    def __init__(self, v0: float, v1: float, p0: float, p1: float) -> None:
        self.v0, self.p0 = v0, p0
        self.k = (p1 - p0) / (v1 - v0) if v1 != v0 else 0.0

    def __call__(self, v: float) -> float:
        return self.p0 + (v - self.v0) * self.k


class _DateScale:
    def __init__(self, first: date, last: date, p0: float, p1: float) -> None:
        self.first = first
        self.linear = _Linear(0, max((last - first).days, 1), p0, p1)

    def __call__(self, day: date) -> float:
        return self.linear((day - self.first).days)


def _scale_dates(first: date, last: date, p0: float, p1: float) -> _DateScale:
    return _DateScale(first, last, p0, p1)


def _month_ticks(first: date, last: date, most: int) -> list[date]:
    """The 1st of each month from `first` to `last`, thinned to at most `most` ticks."""
    months = []
    month = first.replace(day=1)
    while month <= last:
        if month >= first:
            months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    every = max(1, -(-len(months) // most))
    return months[::every]


def _month_labels(months: Sequence[date]) -> list[tuple[date, str]]:
    """`Mar`, with the year on the first month shown and wherever the year changes."""
    years = [None, *(m.year for m in months)]
    return [(m, f"{m:%b %Y}" if m.year != years[i] else f"{m:%b}") for i, m in enumerate(months)]


_NICE_HOURS = (0.25, 0.5, 1, 2, 3, 4, 5, 10, 15, 20, 25, 50, 100, 200, 500, 1000)


def _hour_ticks(peak: timedelta) -> tuple[timedelta, timedelta]:
    """A round step (at most 5 gridlines) and the top of the axis for values up to `peak`."""
    hours = max(peak.total_seconds() / 3600, 0.5)
    step = next((s for s in _NICE_HOURS if hours / s <= 5), _NICE_HOURS[-1])
    top = step * -(-hours // step)
    return timedelta(hours=step), timedelta(hours=top)


def _range(step: timedelta, top: timedelta) -> Iterable[timedelta]:
    value = step
    while value <= top:
        yield value
        value += step


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
{body}
</main>
<footer>{footer}</footer>
</body>
</html>
"""

_CSS = """
:root { --ink: #212529; --muted: #6c757d; --rule: #e9ecef; --page: #f4f5f7; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans",
    Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 32px 24px 8px; }
footer { max-width: 1080px; margin: 0 auto; padding: 8px 24px 32px; color: var(--muted);
  font-size: 13px; }
h1 { font-size: 30px; line-height: 1.2; margin: 2px 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 17px; margin: 0 0 14px; }
.eyebrow { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: 0.08em;
  font-size: 12px; font-weight: 600; }
.dates { margin: 0 0 20px; color: var(--muted); }
.card { background: #fff; border: 1px solid var(--rule); border-radius: 10px; padding: 20px 22px;
  margin: 0 0 18px; box-shadow: 0 1px 2px rgba(0,0,0,0.04); }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px;
  margin-bottom: 18px; }
.tile { background: #fff; border: 1px solid var(--rule); border-radius: 10px; padding: 12px 14px; }
.tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.06em; font-weight: 600; }
.tile .figure { font-size: 26px; font-weight: 650; margin: 2px 0 4px;
  font-variant-numeric: tabular-nums; }
.tile .sub { color: var(--muted); font-size: 13px; }
.vision { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: 14px 24px; margin: 0; }
.vision dt { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.06em; font-weight: 600; }
.vision dd { margin: 2px 0 0; }
.bar { height: 8px; background: var(--rule); border-radius: 4px; overflow: hidden; }
.bar > div { height: 100%; border-radius: 4px; }
.meta { color: var(--muted); font-size: 13px; margin-top: 3px; }
.milestones { list-style: none; margin: 10px 0 0; padding: 0; }
.milestone { display: grid; grid-template-columns: 30px minmax(0, 2.2fr) minmax(0, 2fr) 150px;
  gap: 14px; align-items: center; padding: 12px 0; border-top: 1px solid var(--rule); }
.milestone .title { font-weight: 600; }
.num { display: inline-flex; align-items: center; justify-content: center; width: 24px;
  height: 24px; border-radius: 50%; color: #fff; font-size: 12px; font-weight: 700;
  flex: none; }
figcaption .num { margin-right: 8px; }
.badge { display: inline-block; color: #fff; border-radius: 999px; padding: 1px 10px;
  font-size: 12px; font-weight: 600; }
.chip { display: inline-block; border: 1px solid; border-radius: 999px; padding: 0 8px;
  font-size: 12px; margin-right: 8px; line-height: 18px; }
svg { display: block; width: 100%; height: auto; overflow: visible; }
svg text { font-family: inherit; fill: var(--muted); }
svg .tick { font-size: 12px; }
svg .tick.strong { fill: var(--ink); font-weight: 600; }
svg .axis { stroke: #ced4da; stroke-width: 1; }
svg .gridline { stroke: var(--rule); stroke-width: 1; }
svg .planned { fill: none; stroke: #adb5bd; stroke-width: 2; stroke-dasharray: 5 4; }
svg .done { fill: none; stroke-width: 2.5; stroke-linejoin: round; }
svg .due { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 2 3; }
svg .today { stroke: #e03131; stroke-width: 1.5; }
svg .today-label { fill: #e03131; font-size: 11px; font-weight: 600; }
svg .dot-label { fill: #fff; font-size: 12px; font-weight: 700; }
svg .this-month, .key.this-month { fill: #fff4e6; background: #fff4e6; }
svg .bar-planned, .key.bar-planned { fill: #dee2e6; background: #dee2e6; }
svg .bar-done, .key.bar-done { fill: #1c7ed6; background: #1c7ed6; }
.timeline { margin: 4px 0 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 18px; }
.burnup { margin: 0; border: 1px solid var(--rule); border-radius: 8px; padding: 12px 14px 6px; }
.burnup figcaption { display: flex; align-items: center; font-weight: 600; margin-bottom: 8px; }
.legend { color: var(--muted); font-size: 13px; margin: -6px 0 12px; }
.key { display: inline-block; width: 18px; height: 10px; margin: 0 6px 0 12px;
  vertical-align: middle; border-radius: 2px; }
.key:first-child { margin-left: 0; }
.key.planned { height: 0; border-top: 2px dashed #adb5bd; }
.key.done { height: 0; border-top: 3px solid var(--ink); }
.key.due { height: 0; border-top: 2px dotted var(--ink); }
.kind-row { display: grid; grid-template-columns: 140px minmax(0, 1fr) 300px; gap: 14px;
  align-items: center; padding: 6px 0; }
.kind-row .meta { margin: 0; }
.blocks { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.blocks th { text-align: left; color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.06em; font-weight: 600; border-bottom: 1px solid var(--rule);
  padding: 6px 8px; }
.blocks td { border-bottom: 1px solid var(--rule); padding: 8px; }
.blocks .num-col { text-align: right; }
.empty { color: var(--muted); margin: 0; }
@media (max-width: 760px) {
  .milestone { grid-template-columns: 30px minmax(0, 1fr); }
  .milestone .how, .milestone .state { grid-column: 2; }
  .kind-row { grid-template-columns: 1fr; gap: 4px; }
  .grid { grid-template-columns: 1fr; }
}
@media print {
  @page { margin: 14mm; }
  body { background: #fff; font-size: 12px; }
  main { padding: 0; max-width: none; }
  .card, .tile { box-shadow: none; break-inside: avoid; }
  .burnup { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
