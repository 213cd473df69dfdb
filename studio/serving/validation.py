"""Checks on what an endpoint is given, with messages that name the problem; the service
applies them to the Python API, the command line and the REST API alike."""

from __future__ import annotations

import ipaddress
import math
import re

from studio.errors import InvalidInput
from studio.serving.entities import Task

__all__ = [
    "ENDPOINT_NAME_PATTERN",
    "MAX_DESCRIPTION",
    "MAX_VARIANTS",
    "MAX_WORKERS",
    "VARIANT_NAME_PATTERN",
    "check_capture",
    "check_description",
    "check_endpoint_name",
    "check_host",
    "check_port",
    "check_sampling",
    "check_task",
    "check_variant_name",
    "check_weight",
    "check_workers",
    "is_loopback",
    "spec_pair",
]

MAX_VARIANTS = 16
MAX_WORKERS = 64
MAX_DESCRIPTION = 10_000
ENDPOINT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
"""Endpoint names: they name log files and capture folders, and path segments."""
VARIANT_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ENDPOINT_NAME = re.compile(ENDPOINT_NAME_PATTERN)
_VARIANT_NAME = re.compile(VARIANT_NAME_PATTERN)


def check_endpoint_name(name: str) -> str:
    if not isinstance(name, str) or not _ENDPOINT_NAME.match(name):
        raise InvalidInput(
            f"Invalid endpoint name {name!r}: 1 to 128 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit."
        )
    return name


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def spec_pair(spec: object, variant_name: str) -> tuple[str, float]:
    if not (isinstance(spec, tuple | list) and len(spec) == 2):
        raise InvalidInput(
            f"Variant {variant_name!r}: give a model URI, or a (model URI, number) pair."
        )
    uri, number = spec
    return uri, number


def check_variant_name(name: str) -> str:
    if not isinstance(name, str) or not _VARIANT_NAME.match(name):
        raise InvalidInput(f"Invalid variant name {name!r}: 1 to 64 letters, digits, '_' or '-'.")
    return name


def _check_number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{what} must be a finite number, not {value!r}.")
    return float(value)


def check_weight(name: str, weight: object) -> float:
    checked = _check_number(weight, f"The weight of variant {name!r}")
    if checked < 0:
        raise InvalidInput(f"The weight of variant {name!r} must be 0 or more, not {checked}.")
    return checked


def check_sampling(name: str, sampling: object) -> float:
    checked = _check_number(sampling, f"The sampling share of shadow {name!r}")
    if not 0 < checked <= 1:
        raise InvalidInput(
            f"The sampling share of shadow {name!r} must be above 0 and at most 1, not {checked}."
        )
    return checked


def check_capture(capture: object) -> float:
    checked = _check_number(capture, "capture")
    if not 0 <= checked <= 1:
        raise InvalidInput(f"capture is a share of requests, 0 to 1, not {checked}.")
    return checked


def check_task(task: Task | str | None) -> Task | None:
    if task is None:
        return None
    try:
        return Task(task)
    except ValueError:
        known = ", ".join(t.value for t in Task)
        raise InvalidInput(f"Unknown task {task!r}: one of {known}, or None.") from None


def check_description(description: object) -> str:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"A description is text of at most {MAX_DESCRIPTION} characters.")
    return description


def check_host(host: str, *, has_token: bool) -> str:
    if not isinstance(host, str) or not host or len(host) > 255:
        raise InvalidInput(f"Invalid host {host!r}.")
    if not has_token and not is_loopback(host):
        raise InvalidInput(
            f"An endpoint without a token listens only on loopback, not on {host}: give it a "
            "token to serve other machines."
        )
    return host


def check_port(port: int | None) -> int | None:
    if port is None:
        return None
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidInput(f"A port is 1 to 65535, not {port!r}.")
    return port


def check_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise InvalidInput(f"workers is 1 to {MAX_WORKERS}, not {workers!r}.")
    return workers
