"""The sandbox page: the emulated Todoist and calendars as a user sees them, and its buttons.

The page is served by the loopback server; the browser tests click like a user in headless
Chromium and the real engine then reads the change back through the real SDKs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from connectors.sandbox import web
from connectors.sandbox.server import SandboxServer
from connectors.sandbox.wire import Request
from tests.browser import page
from tests.world import World

LONDON = ZoneInfo("Europe/London")
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, str]]:
    """A synced vision plan in a week where London moves its clocks (Sunday 28 March 2027)."""
    w = World(tmp_path, google=True, now=datetime(2027, 3, 22, 6, 0, tzinfo=UTC))
    w.sync()
    server = SandboxServer(w.sandbox)
    server.start()
    try:
        yield w, server.base_url
    finally:
        server.shutdown()
        server.server_close()


def test_page_shows_tasks_and_the_week_escaped_across_a_clock_change(
    world: tuple[World, str],
) -> None:
    w, url = world
    google, todoist = w.sandbox.google, w.sandbox.todoist
    todoist.user_add_task(w.project_id(), HOSTILE, labels=[HOSTILE])
    before = datetime(2027, 3, 26, 7, 30, tzinfo=UTC)  # Friday, GMT: 07:30 in London
    after = datetime(2027, 3, 29, 6, 30, tzinfo=UTC)  # Monday, BST: 07:30 in London too
    google.add_busy(before, before + timedelta(hours=1), "Dentist " + HOSTILE)
    google.add_busy(after, after + timedelta(hours=1), "Standup")
    html = httpx.get(f"{url}/?week=2027-03-22").text
    assert "<script>alert" not in html
    assert "<b>bold" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold" in html
    assert 'class="ev busy"' in html
    assert 'class="ev block"' in html  # careersync's focus blocks this week
    assert html.count("07:30&ndash;08:30") >= 2  # the same wall time either side of the change
    assert "Become an engineering manager" in html  # the Todoist project
    assert "Learn the basics of managing people" in html  # a section
    assert "@knowledge" in html  # labels
    assert 'rel="next" href="/?week=2027-03-29"' in html
    assert 'rel="prev" href="/?week=2027-03-15"' in html
    nxt = httpx.get(f"{url}/?week=2027-03-29").text
    assert "Standup" in nxt
    assert "29" in nxt


def test_forms_answer_this_page_and_loopback_only(world: tuple[World, str]) -> None:
    w, url = world
    task = w.task("task:talk-to-manager")
    form = {"task": task["id"], "op": "complete", "back": "https://evil.example/"}
    refused = httpx.post(f"{url}/ui/task", data=form, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert not w.task("task:talk-to-manager")["checked"]
    done = httpx.post(f"{url}/ui/task", data=form, headers={"Origin": url})
    assert done.status_code == 303
    assert done.headers["location"].startswith("/?")  # never back to another site
    assert w.task("task:talk-to-manager")["checked"]
    remote = Request.from_url("GET", "/")
    assert web.handle(w.sandbox, remote, "192.0.2.7").status == 403
    gone = httpx.post(
        f"{url}/ui/event", data={"calendar": "primary", "event": "nope", "op": "delete"}
    )
    assert gone.status_code == 303
    assert "not+done" in gone.headers["location"]


def test_clicking_in_chromium_acts_as_the_user_and_syncs_back(
    world: tuple[World, str], tmp_path: Path
) -> None:
    w, url = world
    with page() as browser:
        browser.goto(f"{url}/?week=2027-03-22")
        task = w.task("task:talk-to-manager")
        row = browser.locator(f'li[data-task="{task["id"]}"]')
        row.locator("button.check").first.click()
        browser.wait_for_load_state()
        assert "completed: Tell my manager" in browser.inner_text(".note")
        # a block of another action: the completed one's blocks leave the schedule
        block = browser.locator("details.ev.block").filter(has_not_text="Tell my manager").first
        event_id = block.get_attribute("data-event")
        block.locator("summary").click()
        block.get_by_role("button", name="+1 h").click()
        browser.wait_for_load_state()
        assert "moved:" in browser.inner_text(".note")
        browser.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        block = browser.locator(f'details[data-event="{event_id}"]')
        block.locator("summary").click()  # its menu open, for a look at the screenshot
        browser.screenshot(path=str(tmp_path / "menu.png"))
    assert (tmp_path / "page.png").stat().st_size > 20_000

    w.sync(pull_only=True)  # the real engine reads both changes back
    assert w.records()["task:talk-to-manager"].completed_at is not None
    calendar = w.records("google")["calendar"].remote_id
    moved = next(e for e in w.sandbox.google.events(calendar) if e["id"] == event_id)
    key = moved["extendedProperties"]["private"]["careersync_key"]
    record = w.records("google")[key]
    start = datetime.fromisoformat(moved["start"]["dateTime"])
    assert record.synced["start"]["dateTime"] == start.astimezone(LONDON).isoformat()


def test_short_events_get_their_own_lane_so_titles_do_not_overlap() -> None:
    from connectors.sandbox.web_page import Segment, _lanes

    def seg(h: int, m: int, minutes: int) -> Segment:
        start = datetime(2027, 3, 29, h, m, tzinfo=LONDON)
        return Segment("c", {}, "block", start, start + timedelta(minutes=minutes))

    # a 15-minute block is drawn 20 minutes tall, so the next one sits beside it
    assert _lanes([seg(7, 0, 15), seg(7, 15, 75), seg(9, 0, 60)]) == [(0, 2), (1, 2), (0, 1)]
    assert _lanes([seg(7, 0, 60), seg(7, 30, 60), seg(7, 45, 15)]) == [(0, 3), (1, 3), (2, 3)]


def test_a_day_later_keeps_the_wall_time_across_the_clock_change(
    world: tuple[World, str],
) -> None:
    w, url = world
    google = w.sandbox.google
    friday = datetime(2027, 3, 26, 7, 30, tzinfo=UTC)  # 07:30 GMT in London
    event = google.add_busy(friday, friday + timedelta(minutes=45), "Run")
    form = {"calendar": "primary", "event": event, "op": "move", "minutes": "1440"}
    for _ in range(3):  # Saturday, Sunday (the change, at 01:00), Monday
        assert httpx.post(f"{url}/ui/event", data=form).status_code == 303
    moved = next(e for e in google.events("primary") if e["id"] == event)
    start = datetime.fromisoformat(moved["start"]["dateTime"].replace("Z", "+00:00"))
    assert start == datetime(2027, 3, 29, 6, 30, tzinfo=UTC)  # 07:30 BST
    form["minutes"] = "-60"
    httpx.post(f"{url}/ui/event", data=form)
    moved = next(e for e in google.events("primary") if e["id"] == event)
    end = datetime.fromisoformat(moved["end"]["dateTime"].replace("Z", "+00:00"))
    assert end == datetime(2027, 3, 29, 6, 15, tzinfo=UTC)  # an hour earlier, 45 minutes long
