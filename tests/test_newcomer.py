"""A newcomer's first hour, as the README tells it, run from the README's own text.

On a fresh copy of the tree with an empty HOME: the README's first command (reusing the
installed virtualenv instead of installing it again), activating it, then the sandbox section
line by line (its five `export` lines must be exactly what `sandbox serve` prints), the README's
small plan synced, `agenda`, `done`, `status`, and the sandbox page in headless Chromium, where a
click is read back by `careersync pull`. The only change to the README's lines: the server binds
port 0 (tests never take a fixed port) and the lines use the port it got.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.sandbox import Sandbox
from tests.browser import page

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
README_PORT = "8765"


def blocks(lang: str, text: str = README) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def fresh_tree(tmp: Path) -> Path:
    """The tracked files, as a clone has them, plus the installed venv (not reinstalled)."""
    tree = tmp / "careersync"
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, tree / name)
    (tree / ".venv").symlink_to(Path(sys.prefix))
    return tree


def readme_plan(today: datetime) -> str:
    """The README's small plan, its dates moved so its blocks fall in the coming days."""
    text = next(b for b in blocks("yaml") if "book-exam" in b)
    start = today.date() - timedelta(days=1)
    text = re.sub(r"start: \d{4}-\d\d-\d\d", f"start: {start}", text)
    return re.sub(r"due: \d{4}-\d\d-\d\d", f"due: {start + timedelta(days=150)}", text)


class Shell:
    """Runs README lines with bash in the tree, as a user would type them."""

    def __init__(self, tree: Path, home: Path) -> None:
        self.tree = tree
        venv_bin = str(Path(sys.prefix) / "bin")
        path = os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin
        )
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CAREERSYNC_", "VIRTUAL_ENV", "PYTHON"))
        }
        self.env |= {"HOME": str(home), "PATH": path, "NO_COLOR": "1", "COLUMNS": "100"}
        self.env |= {"TZ": "America/Los_Angeles"}  # far from the plan's Europe/London
        self.prefix: list[str] = []
        self.transcript: list[str] = []

    def script(self, line: str) -> str:
        return "set -euo pipefail\n" + "\n".join([*self.prefix, line])

    def run(self, line: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", "-c", self.script(line)],
            cwd=self.tree,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        first = (done.stdout or done.stderr).strip().splitlines()[:3]
        self.transcript += [f"$ {line}", *(f"  {x}" for x in first)]
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        return done


def test_the_readme_newcomer_path_end_to_end(tmp_path: Path) -> None:
    began = time.monotonic()
    tree, home = fresh_tree(tmp_path), tmp_path / "home"
    home.mkdir()
    shell = Shell(tree, home)

    # 1. The README's first command; the venv is already installed, so its last part runs.
    first = blocks("sh")[0].strip()
    install = "python3 -m venv .venv && .venv/bin/pip install -e . && "
    assert first.startswith(install), first
    demo = shell.run(first.removeprefix(install)).stdout
    assert "This ran on the built-in sandbox" in demo
    assert ".venv/bin/careersync sandbox serve" in demo  # hints name it as it was started
    assert "simulated clock" in demo

    # 2. Activating the venv puts `careersync` on PATH.
    activate = next(b for b in blocks("sh") if ". .venv/bin/activate" in b)
    assert "Usage: careersync" in shell.run("\n".join(_lines(activate))).stdout
    shell.prefix.append(". .venv/bin/activate")

    # 3. The sandbox section, as written.
    lines = _lines(next(b for b in blocks("sh", section("The sandbox"))))
    serve_at = next(i for i, line in enumerate(lines) if "sandbox serve" in line)
    shell.prefix += lines[:serve_at]  # export CAREERSYNC_HOME=...
    serve_line = lines[serve_at]
    assert serve_line.endswith(f"--port {README_PORT} &"), serve_line
    server, printed = _serve(shell, serve_line.removesuffix("&").replace(README_PORT, "0"))
    try:
        port = re.search(r"127\.0\.0\.1:(\d+)", printed[0]).group(1)  # type: ignore[union-attr]
        exports = [x for x in lines if x.startswith("export CAREERSYNC_") and "_HOME=" not in x]
        assert len(exports) == 5
        assert [e.replace(README_PORT, port) for e in exports] == printed
        shell.prefix += printed
        commands = [line for line in lines[serve_at + 1 :] if not line.startswith("export ")]
        (tree / "plan.yaml").write_text(readme_plan(datetime.now(UTC)))

        outputs = {c.split()[1]: shell.run(c).stdout for c in commands}
        assert outputs["sync"].strip().endswith("writes)")
        assert re.search(r"\d\d:\d\d-\d\d:\d\d  (Book the exam|Work through)", outputs["agenda"])
        assert outputs["done"].startswith("done: Book the exam")
        assert re.match(r"Lead a data engineering team: [1-9]\d?% done", outputs["status"])

        # 4. The sandbox page, in Chromium: the plan is there; a click is pulled back.
        with page() as browser:
            browser.goto(f"http://127.0.0.1:{port}/")
            assert "Lead a data engineering team" in browser.inner_text(".todoist")
            if not browser.locator("details.ev.block").count():
                browser.click('a[rel="next"]')
            assert browser.locator("details.ev.block").count() > 0
            visible = time.monotonic() - began
            browser.screenshot(path=str(tmp_path / "newcomer.png"))
            study = browser.locator("li.task", has_text="Work through the study guide").first
            study.locator("button.check").first.click()
            browser.wait_for_load_state()
            assert "completed: Work through the study guide" in browser.inner_text(".note")
        pulled = shell.run("careersync pull plan.yaml").stdout
        assert re.search(r"^pulled: [1-9]\d* completions, ", pulled, re.M)  # with its checklist
        status = shell.run("careersync status plan.yaml").stdout
        assert status.startswith("Lead a data engineering team: 100% done")
    finally:
        server.send_signal(signal.SIGTERM)
        stopped = server.communicate(timeout=30)[0]
    assert "sandbox stopped; data saved" in stopped
    saved = Sandbox()  # what the page did is in the data the next `sandbox serve` opens
    saved.load(home / "careersync-sandbox" / "sandbox" / "state.json")
    tasks = saved.todoist.tasks(include_completed=True)
    assert next(t for t in tasks if t["content"] == "Work through the study guide")["checked"]
    shell.transcript.append(f"(plan visible in the sandbox page {visible:.1f}s after the copy)")
    (tmp_path / "transcript.txt").write_text("\n".join(shell.transcript) + "\n")
    print("\n".join(shell.transcript))


def _lines(block: str) -> list[str]:
    """A shell block's commands, without comments."""
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def _serve(shell: Shell, line: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `sandbox serve` as the README's line does; its `export` lines once it listens."""
    server = subprocess.Popen(
        ["bash", "-c", shell.script("exec " + line)],
        cwd=shell.tree,
        env=shell.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    printed: list[str] = []
    head = []
    while len(printed) < 5:
        out = server.stdout.readline()
        assert out, "sandbox serve stopped before printing its export lines"
        head.append(out.rstrip("\n"))
        if out.startswith("export "):
            printed.append(out.rstrip("\n"))
    shell.transcript += [f"$ {line} &", *(f"  {x}" for x in head[:2]), "  ..."]
    return server, printed
