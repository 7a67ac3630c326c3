"""Scheduled notifications: shared/schedules.json, NCRONTAB, local times on a UTC-only host.

- `entries`: the file, read and checked once per process (`load_schedules()`,
  `schedule_problems()`); on the cold-start path, so standard library only;
- `ncrontab`: the host's six-field expressions; `zoned`: local time zones on a UTC-only host;
- `run`: what a timer run does (loaded on the first run); `source`: fetching an entry's data;
- `blueprint`: one timer function per enabled entry.
"""

from shared.schedules.entries import (
    ScheduleEntry,
    ScheduleProblem,
    ScheduleSet,
    app_setting_names,
    current_schedules,
    load_schedules,
    schedule_problems,
)

__all__ = [
    "ScheduleEntry",
    "ScheduleProblem",
    "ScheduleSet",
    "app_setting_names",
    "current_schedules",
    "load_schedules",
    "schedule_problems",
]
