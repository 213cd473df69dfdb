"""The bases of every feature package's wire models (pydantic), shared by the REST API, the
OpenAPI document and the remote client.

Each concrete model names itself in the API with a class keyword, `class RunOut(WireOut,
title="RunOut")`: the OpenAPI document's schema names are those titles, never class names, so
renaming a class cannot change the API, and two packages' models of the same class name do not
collide (the document builder refuses two models with one title).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireIn(BaseModel):
    """A JSON request body: strict types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", ser_json_inf_nan="strings")


class QueryIn(BaseModel):
    """Query parameters: they arrive as text, so types are coerced (lax)."""

    model_config = ConfigDict(extra="ignore")


class WireOut(BaseModel):
    """A JSON answer."""

    model_config = ConfigDict(ser_json_inf_nan="strings")
