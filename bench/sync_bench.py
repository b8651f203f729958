"""Benchmark: requests and wall time of careersync vs one-call-per-item, on the sandbox.

Every request to the sandbox waits a fixed latency (50 ms by default), as a real API would.
Printed for a 250-action plan: reads and writes per service and wall time of a first sync, a
no-op re-sync and a pull cycle; the planner's time; peak memory; then the same figures for the
straightforward approach (one SDK call per item, no batching, no sync tokens), and the ratios.
Then the live schedule: a re-plan after one new busy event over a focus block (requests, time,
calendar events changed), a scheduler's idle cycles with its busy-time cache (requests; the
events they change must be 0), and a cycle after the cache is older than busy_refresh.

    .venv/bin/python bench/sync_bench.py [--actions 250] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from googleapiclient.http import BatchHttpRequest  # noqa: F401  (the naive path does not batch)

from connectors.clients import calendar_service, todoist_api, todoist_http
from connectors.gcal import CredentialCache
from connectors.retry import RetryPolicy
from connectors.sandbox import TODOIST_TOKEN, Sandbox
from connectors.sandbox.transport import HttpxTransport
from sync import engine
from sync.blocks import span_of
from sync.busytime import BusyCache
from sync.examples import big_plan
from sync.loader import parse_plan
from sync.plan import Plan
from sync.planner import place_blocks
from sync.session import open_session
from sync.settings import Settings
from sync.state import StateStore

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def measure(sandbox: Sandbox, step: Callable[[], Any]) -> dict[str, Any]:
    sandbox.wire.reset()
    started = time.perf_counter()
    step()
    elapsed = time.perf_counter() - started
    figures: dict[str, Any] = {"seconds": elapsed}
    for service in ("todoist", "google"):
        counts = sandbox.wire.counts(service)
        figures[service] = (counts["reads"], counts["writes"])
    return figures


def peak_memory(plan: Plan) -> float:
    """MiB at the peak of a first sync (tracemalloc slows Python down, so it is a run of its own)."""
    tracemalloc.start()
    careersync_runs(plan, 0.0, first_only=True)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def careersync_runs(
    plan: Plan, latency: float, first_only: bool = False
) -> dict[str, dict[str, Any]]:
    sandbox = Sandbox(clock=lambda: NOW, latency=latency)
    home = Path(tempfile.mkdtemp())
    settings = Settings(
        home=home,
        timezone="UTC",
        todoist_token=TODOIST_TOKEN,
        google_credentials=_google_credentials(sandbox),
    )

    cache: CredentialCache = {}  # as `careersync run` keeps its access token between cycles

    def run(**options: Any) -> engine.Outcome:
        with open_session(
            settings,
            plan,
            todoist_transport=HttpxTransport(sandbox.wire),
            google_http=sandbox.httplib2(),
            policy=RetryPolicy(),
            credentials=cache,
        ) as session:
            return engine.run(
                plan,
                session.store,
                options.pop("now", NOW),
                todoist=session.todoist,
                calendar=session.calendar,
                **options,
            )

    first = measure(sandbox, run)
    if first_only:
        return {"first sync": first}
    noop = measure(sandbox, run)
    pull = measure(sandbox, lambda: run(pull_only=True))
    return {"first sync": first, "no-op re-sync": noop, "pull cycle": pull} | live_runs(
        sandbox, settings, run
    )


def live_runs(
    sandbox: Sandbox, settings: Settings, run: Callable[..., engine.Outcome]
) -> dict[str, dict[str, Any]]:
    """The live schedule: one busy event over a block; idle scheduler cycles."""
    store = StateStore(settings.state_db)
    spans = sorted(
        (span[0], key)
        for key, record in store.records("big", "google").items()
        if key.startswith("block:") and (span := span_of(record.synced, ZoneInfo("UTC")))
    )
    store.close()
    start, key = next((at, k) for at, k in spans if at > NOW + timedelta(days=2))
    sandbox.google.add_busy(start, start + timedelta(minutes=45), "A new meeting")
    outcome: list[engine.Outcome] = []
    busy = measure(sandbox, lambda: outcome.append(run()))
    busy["changed"] = outcome[-1].changes
    cache = BusyCache(max_age=settings.busy_refresh, per_run=1)  # as `careersync run` keeps it
    cycle = lambda at: outcome.append(run(busy_cache=cache, now=at))  # noqa: E731
    measure(sandbox, lambda: cycle(NOW))  # the scheduler's first cycle reads everything
    idle = measure(sandbox, lambda: cycle(NOW + timedelta(minutes=5)))
    idle["changed"] = outcome[-1].changes
    stale = measure(sandbox, lambda: cycle(NOW + timedelta(minutes=20)))
    stale["changed"] = outcome[-1].changes
    return {
        f"busy over {key}": busy,
        "idle cycle": idle,
        "cycle, busy>15m": stale,
    }


def _google_credentials(sandbox: Sandbox) -> str:
    import json

    return json.dumps(sandbox.google_credentials_info("https://oauth2.googleapis.com/token"))


def naive_runs(plan: Plan, latency: float) -> dict[str, dict[str, Any]]:
    """One SDK call per item: what a straightforward script would do."""
    sandbox = Sandbox(clock=lambda: NOW, latency=latency)
    api = todoist_api(
        TODOIST_TOKEN, todoist_http("https://api.todoist.com/api/v1", HttpxTransport(sandbox.wire))
    )
    from google.oauth2.credentials import Credentials
    from google_auth_httplib2 import AuthorizedHttp

    info = sandbox.google_credentials_info("https://oauth2.googleapis.com/token")
    calendar = calendar_service(
        AuthorizedHttp(Credentials.from_authorized_user_info(info), http=sandbox.httplib2())
    )
    blocks = place_blocks(
        plan, now=NOW, remaining={a.id: a.effort for _, a in plan.actions()}
    ).blocks

    def first() -> None:
        project = api.add_project(plan.title)
        cal = (
            calendar.calendars()
            .insert(body={"summary": plan.title, "timeZone": plan.timezone})
            .execute()
        )
        for milestone in plan.milestones:
            section = api.add_section(milestone.title, project.id)
            api.add_task(
                f"Milestone: {milestone.title}",
                project_id=project.id,
                section_id=section.id,
                due_date=milestone.due,
            )
            day = {"date": milestone.due.isoformat()}
            end = {"date": (milestone.due + timedelta(days=1)).isoformat()}
            calendar.events().insert(
                calendarId=cal["id"], body={"summary": milestone.title, "start": day, "end": end}
            ).execute()
            for action in milestone.actions:
                task = api.add_task(
                    action.title, project_id=project.id, section_id=section.id, due_date=action.due
                )
                for item in action.checklist:
                    api.add_task(item, project_id=project.id, parent_id=task.id)
        for block in blocks:
            body = {
                "summary": block.action_id,
                "start": {"dateTime": block.start.isoformat()},
                "end": {"dateTime": block.end.isoformat()},
            }
            calendar.events().insert(calendarId=cal["id"], body=body).execute()
        state["calendar"], state["project"] = cal["id"], project.id

    def reread() -> None:
        # a no-op or a pull without sync tokens lists everything again, page by page
        for _ in api.get_sections(project_id=state["project"]):
            pass
        for _ in api.get_tasks(project_id=state["project"]):
            pass
        request = calendar.events().list(calendarId=state["calendar"])
        while request is not None:
            page = request.execute()
            request = calendar.events().list_next(request, page)

    state: dict[str, str] = {}
    return {
        "first sync": measure(sandbox, first),
        "no-op re-sync": measure(sandbox, reread),
        "pull cycle": measure(sandbox, reread),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=250)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    plan = parse_plan(
        big_plan(args.actions, 20),
        Path("big.yaml"),
        today=date(2026, 12, 1),
        default_timezone="UTC",
    ).plan

    started = time.perf_counter()
    placement = place_blocks(plan, now=NOW, remaining={a.id: a.effort for _, a in plan.actions()})
    planner_seconds = time.perf_counter() - started

    ours = careersync_runs(plan, args.latency)
    naive = naive_runs(plan, args.latency)
    print(
        f"plan: {args.actions} actions, 20 milestones; latency {args.latency * 1000:.0f} ms a request"
    )
    print(f"planner: {planner_seconds * 1000:.0f} ms for {len(placement.blocks)} blocks")
    print(f"peak memory of a first sync: {peak_memory(plan):.1f} MiB (tracemalloc)")
    print(f"{'step':15} {'approach':18} {'todoist r/w':>12} {'google r/w':>12} {'seconds':>8}")
    for step in ("first sync", "no-op re-sync", "pull cycle"):
        for name, figures in (("careersync", ours[step]), ("one call per item", naive[step])):
            t, g = figures["todoist"], figures["google"]
            print(
                f"{step:15} {name:18} {f'{t[0]}/{t[1]}':>12} {f'{g[0]}/{g[1]}':>12}"
                f" {figures['seconds']:8.2f}"
            )
        a, b = ours[step], naive[step]
        requests = (sum(b["todoist"]) + sum(b["google"])) / max(
            1, sum(a["todoist"]) + sum(a["google"])
        )
        print(
            f"{'':15} {'ratio':18} {requests:>20.1f}x requests {b['seconds'] / a['seconds']:8.1f}x time"
        )
    print("live schedule (careersync):")
    print(f"{'step':34} {'todoist r/w':>12} {'google r/w':>12} {'seconds':>8} {'changed':>8}")
    for step, figures in ours.items():
        if "changed" in figures:
            t, g = figures["todoist"], figures["google"]
            print(
                f"{step:34} {f'{t[0]}/{t[1]}':>12} {f'{g[0]}/{g[1]}':>12}"
                f" {figures['seconds']:8.2f} {figures['changed']:>8}"
            )


if __name__ == "__main__":
    main()
