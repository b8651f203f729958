"""Starting files: the interview, answered with example content (`careersync init --template`)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sync.interview.draft import Exercise
from sync.interview.exercises import interview
from sync.interview.planfile import plan_file
from sync.interview.session import run_answers

TEMPLATE_ANSWERS: dict[Exercise, tuple[str, ...]] = {
    "vision": (
        "",  # time zone: the default
        "15 months",
        "Lead a data engineering team",
        "Leading the data platform group at a mid-size company",
        "Designing streaming pipelines and running the team's planning",
        "Five engineers, a supportive director, the local data community",
        "",
        "Lead a cross-team project as its technical lead",
        "Pass the cloud data engineer certification",
        "",
        "in 4 months",
        "",  # kind: the guess (knowledge)
        "in 10 months",
        "",
        "",
        "",
        "Book the exam, 15m",
        "Work through the study guide, 12h, due in 3 months",
        "Take two practice exams, 3h",
        "",
        "y",  # in this order
        "Ask my manager for a project to lead, 30m",
        "Explain one design decision to a colleague, 30m, every week",
        "",
        "Talk to three data leads about their first year, 3h",
        "Update my CV and profile with the results, 2h",
        "",
        "y",
        "",  # windows: the defaults
        "",  # weekly hours
        "1, 4",
        "",
        "y",  # write it
    ),
    "short-term": (
        "",
        "3 months",
        "Move from customer support into product management",
        "Working as an associate product manager",
        "Product discovery and analytics basics",
        "Finish an introductory product management course",
        "Enrol in the course, 30m",
        "Complete the first four modules, 8h",
        "",
        "y",
        "Read the product's usage dashboards every week",
        "Ask the analyst for a tour of the dashboards, 30m",
        "Note three questions the data raises, 1h, every week",
        "",
        "Write a discovery brief for a real customer problem",
        "Draft the brief, 4h",
        "",
        "Present ideas clearly to a room",
        "Summarise one customer trend in the weekly team meeting",
        "Prepare a five-minute summary, 1h",
        "",
        "Run a 15-minute demo for the support team",
        "Rehearse the demo with a colleague, 1h",
        "",
        "Present the discovery brief to the product team",
        "Book a slot in the product review, 15m",
        "",
        "Hands-on product work",
        "3, 5",
        "Shadow a product manager through one sprint",
        "Join the sprint planning and review, 3h",
        "",
        "n",  # the suggested ways and the sprint: any order
        "Own a small improvement from idea to release",
        "",
        "Run the discovery for the brief's problem",
        "Interview five customers, 5h",
        "",
        "",
        "",
        "1",
        "",
        "y",
    ),
}


def template(exercise: Exercise, today: date, timezone: str, filename: str) -> str:
    """A realistic starting file: the interview, answered with example content."""
    now = datetime.combine(today, time(12), ZoneInfo(timezone))
    draft = run_answers(lambda: interview(now, timezone, exercise), TEMPLATE_ANSWERS[exercise])
    assert draft is not None, "the template answers confirm"
    return plan_file(draft, filename, template=True)
