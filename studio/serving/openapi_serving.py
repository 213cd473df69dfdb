"""The serving process's own OpenAPI document, built from the pydantic models below.

It describes MLflow's four JSON scoring formats and CSV with the limits this process applies
(rows, body size), so a client generator or a fuzzer (the tests run schemathesis on it) sees
what is accepted. The Jupyter server's API is described elsewhere (`studio.openapi`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from studio._version import __version__

__all__ = ["serving_document"]

MAX_COLUMNS = 10_000
MAX_NAME = 255
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"

Scalar = float | int | str | bool | None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataframeSplit(_Model):
    columns: list[str] | None = Field(default=None, max_length=MAX_COLUMNS)
    data: list[list[Scalar]]
    index: list[int | str] | None = None


class DataframeSplitRequest(_Model):
    """Columns once, then rows as lists (pandas' `orient="split"`)."""

    dataframe_split: DataframeSplit
    params: dict[str, Any] | None = None


class DataframeRecordsRequest(_Model):
    """One object per row, by column name."""

    dataframe_records: list[dict[str, Scalar]]
    params: dict[str, Any] | None = None


class InstancesRequest(_Model):
    """TensorFlow Serving's rows: objects by column name, or lists in the signature's order."""

    instances: list[dict[str, Scalar]] | list[list[Scalar]]
    params: dict[str, Any] | None = None


class InputsRequest(_Model):
    """Rows (objects or lists in the signature's order), or columns as lists of values."""

    inputs: list[dict[str, Scalar]] | list[list[Scalar]] | dict[str, list[Scalar]]
    params: dict[str, Any] | None = None


class Predictions(_Model):
    predictions: list[Any]


class ServingErrorOut(_Model):
    error_code: str
    message: str


class FeedbackIn(_Model):
    request_id: str = Field(pattern=REQUEST_ID_PATTERN)
    label: Any


class FeedbackOut(_Model):
    scored: int
    pending: int


_MODELS: list[type[BaseModel]] = [
    DataframeSplitRequest,
    DataframeRecordsRequest,
    InstancesRequest,
    InputsRequest,
    Predictions,
    ServingErrorOut,
    FeedbackIn,
    FeedbackOut,
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "malformed body, unknown variant",
        401: "the endpoint has a token and none (or a wrong one) was sent",
        409: "the request already has a label",
        413: "body or rows over the limit",
        415: "unsupported content type",
        422: "input does not fit the signature, or the model refused it",
        500: "the model failed on valid input",
    }
    return {
        str(status): {"description": reasons[status], "content": _json(_ref(ServingErrorOut))}
        for status in statuses
    }


def serving_document(max_body_bytes: int, max_rows: int) -> dict[str, Any]:
    """The document, with this process's limits in the descriptions and schemas."""
    _, definitions = models_json_schema(
        [(model, "validation") for model in _MODELS],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = definitions["$defs"]
    for name in ("DataframeRecordsRequest", "InstancesRequest", "InputsRequest"):
        schemas[name]["description"] = (
            f"{schemas[name].get('description', '')} At most {max_rows:,} rows."
        )
    schemas["DataframeSplit"]["properties"]["data"]["maxItems"] = max_rows
    schemas["DataframeRecordsRequest"]["properties"]["dataframe_records"]["maxItems"] = max_rows
    limits = f"Bodies up to {max_body_bytes:,} bytes and {max_rows:,} rows."
    headers = [
        {
            "name": "X-Target-Variant",
            "in": "header",
            "required": False,
            "description": "answer with this variant (by name) instead of a weighted draw",
            "schema": {"type": "string", "maxLength": MAX_NAME},
        },
        {
            "name": "X-Request-Id",
            "in": "header",
            "required": False,
            "description": "kept as the request's id when it matches the pattern",
            "schema": {"type": "string"},
        },
    ]
    answer_headers = {
        "X-Variant": {"schema": {"type": "string"}, "description": "the variant that answered"},
        "X-Request-Id": {"schema": {"type": "string"}, "description": "the request's id"},
    }
    request_formats = [
        _ref(DataframeSplitRequest),
        _ref(DataframeRecordsRequest),
        _ref(InstancesRequest),
        _ref(InputsRequest),
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Studio endpoint", "version": __version__, "description": limits},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "proxyKey": {"type": "apiKey", "in": "header", "name": "X-Studio-Proxy-Key"},
            },
        },
        "security": [{}, {"token": []}, {"proxyKey": []}],
        "paths": {
            "/invocations": {
                "post": {
                    "summary": "Predict with one variant (MLflow's scoring formats or CSV)",
                    "description": limits,
                    "parameters": headers,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"oneOf": request_formats}},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "one prediction per row",
                            "headers": answer_headers,
                            "content": _json(_ref(Predictions)),
                        },
                        **_errors(400, 401, 413, 415, 422, 500),
                    },
                }
            },
            "/feedback": {
                "post": {
                    "summary": "The true label of an answered request (or a list of them)",
                    "requestBody": {
                        "required": True,
                        "content": _json(
                            {
                                "oneOf": [
                                    _ref(FeedbackIn),
                                    {"type": "array", "items": _ref(FeedbackIn)},
                                ]
                            }
                        ),
                    },
                    "responses": {
                        "200": {
                            "description": "labels stored",
                            "content": _json(_ref(FeedbackOut)),
                        },
                        **_errors(400, 401, 409, 413),
                    },
                }
            },
            "/ping": {
                "get": {
                    "summary": "200 once the models are loaded",
                    "responses": {"200": {"description": "ready"}},
                }
            },
            "/health": {
                "get": {
                    "summary": "configuration, batching and shadow counters",
                    "responses": {"200": {"description": "ok"}, **_errors(401)},
                }
            },
            "/version": {
                "get": {
                    "summary": "Studio's version",
                    "responses": {"200": {"description": "the version"}},
                }
            },
            "/metadata": {
                "get": {
                    "summary": "the endpoint's variants, signatures and input examples",
                    "responses": {"200": {"description": "ok"}, **_errors(401)},
                }
            },
        },
    }
