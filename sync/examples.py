"""Generated plans for benchmarks, fault-injection tests and the demo."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import yaml


def big_plan(actions: int = 250, milestones: int = 20, start: date = date(2026, 12, 7)) -> str:
    """A valid plan file with `actions` actions spread over `milestones` milestones (26 weeks)."""
    kinds = ("knowledge", "skills", "experience")
    per = -(-actions // milestones)
    doc_milestones = []
    for m in range(milestones):
        due = start + timedelta(weeks=6 + m)
        items = []
        for n in range(m * per, min(actions, (m + 1) * per)):
            action: dict[str, Any] = {
                "id": f"a{n}",
                "title": f"Action {n}: practise step {n % 7 + 1}",
                "effort": "45m",
            }
            if n % per and n % 5 == 0:
                action["after"] = [f"a{n - 1}"]
            if n % 50 == 0:
                action["checklist"] = ["Outline", "Draft"]
            items.append(action)
        doc_milestones.append(
            {
                "id": f"m{m}",
                "title": f"Milestone {m}",
                "kind": kinds[m % 3],
                "due": due.isoformat(),
                "actions": items,
            }
        )
    doc = {
        "format": 1,
        "plan": {
            "id": "big",
            "title": "A big plan",
            "timezone": "Europe/London",
            "start": start.isoformat(),
            "horizon": "26 weeks",
        },
        "schedule": {
            "weekly_hours": 40,
            "max_block": "45m",
            "windows": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "07:00", "to": "19:00"}
            ],
        },
        "milestones": doc_milestones,
    }
    return yaml.safe_dump(doc, sort_keys=False)
