"""Cron schedules: checked and stepped with croniter, told in words with cron-descriptor.

A schedule is a five-field cron expression (or one of croniter's `@hourly`, `@daily`, ...
aliases) read in an IANA time zone. Occurrences are milliseconds since the epoch, truncated
to the second, so that every scheduler computes the same key for the same occurrence (the
store's lease). On the day a zone's clocks go back, a wall time such as 01:30 happens twice,
and croniter gives both: `next_times` keeps the first, so a daily job runs once that day.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from studio.errors import InvalidInput

__all__ = ["MAX_SCHEDULE_LENGTH", "check_schedule", "check_timezone", "describe", "next_times"]

MAX_SCHEDULE_LENGTH = 120
_ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_FIELDS = 5


def check_timezone(name: str) -> ZoneInfo:
    """The zone an IANA name names; InvalidInput otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"Unknown time zone {name!r}: use an IANA name such as 'UTC' or 'Europe/Paris'."
        ) from exc


def check_schedule(expression: str) -> str:
    """The expression, whitespace normalised, if croniter can step it; InvalidInput naming
    the problem otherwise. Six- and seven-field forms (seconds, years) are refused: a job
    runs at most once a minute."""
    from croniter import croniter

    normalised = " ".join(expression.split())
    if not normalised:
        raise InvalidInput("A schedule cannot be empty: give a cron expression or no schedule.")
    if len(normalised) > MAX_SCHEDULE_LENGTH:
        raise InvalidInput(f"A schedule is at most {MAX_SCHEDULE_LENGTH} characters long.")
    if normalised.startswith("@"):
        if normalised.lower() not in _ALIASES:
            raise InvalidInput(
                f"Unknown schedule alias {normalised!r}: one of {', '.join(_ALIASES)}."
            )
        return normalised.lower()
    fields = normalised.split(" ")
    if len(fields) != _FIELDS:
        raise InvalidInput(
            f"The schedule {normalised!r} has {len(fields)} fields; a cron expression has 5: "
            "minute, hour, day of month, month, day of week (e.g. '0 2 * * *')."
        )
    if not croniter.is_valid(normalised):
        raise InvalidInput(f"The schedule {normalised!r} is not a valid cron expression.")
    return normalised


def next_times(expression: str, zone: str, after_ms: int, count: int = 1) -> list[int]:
    """The next `count` occurrences strictly after `after_ms`, in ms since the epoch."""
    from croniter import CroniterBadDateError, croniter

    start = datetime.fromtimestamp(after_ms / 1000, tz=timezone.utc).astimezone(
        check_timezone(zone)
    )
    steps = croniter(check_schedule(expression), start)
    found: list[int] = []
    last_wall: datetime | None = None
    try:
        while len(found) < count:
            moment = steps.get_next(datetime)
            when = int(moment.timestamp()) * 1000
            wall = moment.replace(tzinfo=None, fold=0)
            if when > after_ms and (not found or when > found[-1]) and wall != last_wall:
                found.append(when)
            last_wall = wall
    except CroniterBadDateError:
        # An expression that names a day that never comes (February 30th) ends here.
        pass
    return found


def describe(expression: str) -> str:
    """The schedule in words, e.g. "At 02:00, Monday through Friday"."""
    from cron_descriptor import ExpressionDescriptor, Options

    checked = check_schedule(expression)
    aliases = {
        "@yearly": "0 0 1 1 *",
        "@annually": "0 0 1 1 *",
        "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    }
    options = Options()
    options.use_24hour_time_format = True
    return str(ExpressionDescriptor(aliases.get(checked, checked), options).get_description())
