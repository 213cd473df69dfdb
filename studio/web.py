"""The base of Studio's REST handlers: parsing into wire models and the one error path.

Handlers parse a request into a pydantic wire model, make one service call through `call()`
(off the event loop), and answer with `reply()`. Every `StudioError` a service raises becomes
an HTTP answer in `http_error()`, through `errors.HTTP_STATUS`, with jupyter_server's JSON
envelope `{"message": ..., "reason": ...}`: bad input is a 4xx, never a 500.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, ParamSpec, TypeVar, Union, cast, get_args, get_origin

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, ValidationError
from tornado.web import HTTPError

from studio.errors import HTTP_STATUS, ErrorCode, StudioError

M = TypeVar("M", bound=BaseModel)
P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

UNPROCESSABLE = 422
_MAX_REPORTED_ERRORS = 5
_PATH_PARAM = re.compile(r"\{(\w+)\}")
_INT64_MAX = 2**63 - 1
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f]")  # what tornado's get_argument replaces


@dataclass(frozen=True)
class Route:
    """One REST route: an OpenAPI-style path template and the handler class serving it.

    `path_types` gives the JSON schema of path parameters that are not any string (for the
    OpenAPI document; handlers convert them themselves so that a malformed id is a JSON 404).
    """

    path: str
    handler: type[StudioAPIHandler]
    path_types: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def pattern(self) -> str:
        """The tornado URL pattern: each `{name}` becomes a named group for one segment."""
        parts = _PATH_PARAM.split(self.path)  # literal, name, literal, name, ..., literal
        return "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
            for index, part in enumerate(parts)
        )

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


def http_error(exc: StudioError) -> HTTPError:
    """The one translation of a domain error into an HTTP answer."""
    return _error(HTTP_STATUS[exc.code], exc.message, exc.code.value)


def _error(status: int, message: str, reason: str) -> HTTPError:
    # The message travels as an argument, not as tornado's format string: user text may hold '%'.
    return HTTPError(status, "%s", message, reason=reason)


def _validation_error(exc: ValidationError, where: str) -> HTTPError:
    errors = exc.errors(include_url=False)
    if any(error["type"] == "json_invalid" for error in errors):
        detail = errors[0]["msg"].removeprefix("Invalid JSON: ")
        return _error(400, f"The request {where} is not valid JSON: {detail}", "invalid_json")
    described = []
    for error in errors[:_MAX_REPORTED_ERRORS]:
        location = ".".join(str(part) for part in (where, *error["loc"]))
        described.append(f"{location}: {error['msg']}")
    if len(errors) > _MAX_REPORTED_ERRORS:
        described.append(f"and {len(errors) - _MAX_REPORTED_ERRORS} more errors")
    return _error(UNPROCESSABLE, "; ".join(described), ErrorCode.INVALID_INPUT.value)


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is list:
        return True
    if origin is Union or origin is UnionType:
        return any(_is_list(arg) for arg in get_args(annotation))
    return False


class StudioAPIHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every Studio REST handler. Subclasses decorate each verb with
    `@web.authenticated` and `@authorized`, which check this `auth_resource`."""

    auth_resource = "studio"

    def parse_body(self, model: type[M]) -> M:
        """The JSON body as `model`: 400 for a missing body or malformed JSON, 422 for a wrong
        shape or type. A missing body is never taken as `{}`: that would create a run."""
        if not self.request.body.strip():
            raise _error(
                400,
                f"The request body is missing: send a JSON object ({model.__name__}).",
                ErrorCode.INVALID_INPUT.value,
            )
        try:
            return model.model_validate_json(self.request.body)
        except ValidationError as exc:
            raise _validation_error(exc, "body") from exc

    def parse_query(self, model: type[M]) -> M:
        """The query parameters as `model`; list fields take every repetition of a parameter."""
        data: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            key = info.alias or name
            values = self.get_query_arguments(key)
            # tornado turns control characters into spaces: "a%00b" would name "a b". Refused.
            if any(_CONTROL.search(raw) for raw in self.request.query_arguments.get(key, ())):
                raise _error(
                    400,
                    f"The query parameter {key!r} holds a control character.",
                    ErrorCode.INVALID_INPUT.value,
                )
            if values:
                data[key] = values if _is_list(info.annotation) else values[-1]
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise _validation_error(exc, "query") from exc

    def path_id(self, value: str, kind: str, maximum: int = _INT64_MAX) -> int:
        """A numeric id from the path; anything else (or a number past the id column's
        `maximum`) names nothing, so it is a 404."""
        if not (value.isascii() and value.isdigit()) or int(value) > maximum:
            raise self.not_found(f"No {kind} has id {value!r}.")
        return int(value)

    def not_found(self, message: str) -> HTTPError:
        """The 404 of a path that names nothing, raised before any service call."""
        return _error(404, message, ErrorCode.NOT_FOUND.value)

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking service call off the event loop; its StudioError becomes HTTP."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))
        except StudioError as exc:
            raise http_error(exc) from exc

    def reply(self, model: BaseModel | None, status: int = 200) -> None:
        """Answer with a wire model as JSON (or with no body, for 204)."""
        self.set_status(status)
        if model is None:
            self.finish()
        else:
            self.finish(model.model_dump_json())

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """jupyter_server's envelope, with messages given as arguments formatted in."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, HTTPError) and exc.log_message and exc.args:
            self.set_header("Content-Type", "application/json")
            message = exc.log_message % exc.args
            self.log.warning("wrote error: %r", message)
            self.finish(json.dumps({"message": message, "reason": exc.reason}))
            return
        super().write_error(status_code, **kwargs)


def authorized_to(action: str) -> Callable[[F], F]:
    """jupyter_server's `authorized(action)`, made afresh for each method it decorates.

    Its decorator keeps the resource of the first request it checks in a closure shared by
    every method one `authorized(...)` instance decorates: one instance shared by the handlers
    of two resources (the jobs' and evaluation's "execute") asked about the first request's
    resource ever after, so refusing "execute" on "studio.jobs" stopped nothing once a
    training had been started.
    """

    def decorate(method: F) -> F:
        return cast("F", authorized(action)(method))

    return decorate
