"""careersync: a career plan, done in Todoist and Google Calendar."""

__version__ = "0.1.0"
