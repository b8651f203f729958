"""`careersync report PLAN --out FILE.html`: a self-contained progress report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from sync.cli.common import PLAN_ARG, console, load, now, state
from sync.engine import facts, upcoming_blocks
from sync.errors import UserError
from sync.plan import Plan
from sync.private import private_file
from sync.progress import burnup, measure
from sync.report import render_report
from sync.state import StateStore


def report(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    out: Path | None = typer.Option(
        None, "--out", help="Where to write the HTML; default: reports/<plan id>.html in the home."
    ),
) -> None:
    """Write an HTML report: vision, milestone timeline, burn-up charts, progress by kind and month.

    The page needs no network to view. Example: careersync report plan.yaml --out report.html
    """
    p = load(ctx, plan).plan
    state(ctx).check_home()
    settings = state(ctx).settings
    target = out or settings.home / "reports" / f"{p.id}.html"
    if target.is_dir():
        raise UserError(
            f"--out {target} is a directory", f"name a file, e.g. {target / 'report.html'}"
        )
    path = write_report(p, settings.state_db, now(settings.timezone), target)
    console.print(f"report written to {path}")


def write_report(plan: Plan, state_db: Path, at: datetime, out: Path) -> Path:
    """Render the report from the state store's facts and write it to `out`."""
    store = StateStore(state_db)
    try:
        known = facts(plan, store)
        upcoming = upcoming_blocks(plan, store, at)
    finally:
        store.close()
    progress = measure(plan, known, at)
    burnups = {m.id: burnup(plan, known, m.id, at) for m in plan.milestones}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch(mode=0o600)
        private_file(out)  # progress and plans are personal, wherever the report goes
        out.write_text(render_report(plan, progress, burnups, upcoming), encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot write the report to {out} ({exc.strerror or exc})",
            "choose another path with --out",
        ) from exc
    return out
