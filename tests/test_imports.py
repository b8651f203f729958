"""The direction of dependency (DESIGN.md), checked on every module's imports.

- The pure core imports no I/O: no network, SDK, database, keyring or process modules, and
  nothing of the shell (state store, settings, secrets, engine, scheduler, session, CLI).
- Connectors are wire adapters: they import nothing of the planner, the settings or the shell.
- Only the shell (CLI, scheduler, session builder) imports connectors.

`KNOWN` lists the violations that are still there; it may only shrink (a fixed violation must
be removed from it, so it cannot come back unnoticed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CORE = {
    "sync.allocation",
    "sync.problem",
    "sync.redates",
    "sync.blocks",
    "sync.busytime",
    "sync.calendar_layout",
    "sync.feasibility",
    "sync.freetime",
    "sync.spans",
    "sync.dates",
    "sync.decide",
    "sync.durations",
    "sync.errors",
    "sync.model",
    "sync.outline",
    "sync.plan",
    "sync.planner",
    "sync.progress",
}
IO = ("sqlite3", "httpx", "httplib2", "google", "googleapiclient", "todoist_api_python")
IO += ("keyring", "socket", "subprocess", "urllib.request", "http.client", "shutil")
SHELL = ("sync.state", "sync.settings", "sync.secrets", "sync.session", "sync.engine")
SHELL += ("sync.scheduler", "sync.cli", "sync.lock", "sync.loader")
PLANNING = ("sync.planner", "sync.blocks", "sync.decide", "sync.progress", "sync.settings")
PLANNING += (
    "sync.feasibility",
    "sync.freetime",
    "sync.busytime",
    "sync.problem",
    "sync.allocation",
)
PLANNING += ("sync.secrets", "sync.session", "sync.engine", "sync.scheduler", "sync.cli")
SHELL_MODULES = ("sync.cli", "sync.scheduler", "sync.session", "sync.__main__")

KNOWN = {
    ("sync.engine", "connectors.todoist_map"),
    ("connectors.gcal", "sync.secrets"),
    ("connectors.gcal", "sync.settings"),
}


def modules() -> Iterator[tuple[str, Path]]:
    for package in ("sync", "connectors"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations() -> set[tuple[str, str]]:
    found = set()
    for module, path in modules():
        for name in imports(path):
            if module in CORE:
                bad = within(name, IO + SHELL + ("connectors",))
            elif within(module, ("connectors",)):
                bad = within(name, PLANNING)
            else:
                bad = within(name, ("connectors",)) and not within(module, SHELL_MODULES)
            if bad:
                found.add((module, name))
    return found


def test_the_dependency_direction_holds() -> None:
    new = violations() - KNOWN
    assert not new, f"imports against DESIGN.md's direction: {sorted(new)}"


def test_known_violations_are_removed_once_fixed() -> None:
    fixed = KNOWN - violations()
    assert not fixed, f"fixed, so remove from KNOWN: {sorted(fixed)}"


def test_every_core_module_exists() -> None:
    names = {module for module, _ in modules()}
    assert names >= CORE
