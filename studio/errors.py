"""Studio's exceptions and the one table from error code to HTTP status."""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    SCHEMA_OUT_OF_DATE = "schema_out_of_date"
    STORE_ERROR = "store_error"


HTTP_STATUS = {
    ErrorCode.INVALID_INPUT: 400,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.SCHEMA_OUT_OF_DATE: 503,
    ErrorCode.STORE_ERROR: 500,
}


class StudioError(Exception):
    """Base of every error Studio raises on purpose; `code` decides the HTTP status."""

    code: ErrorCode = ErrorCode.STORE_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]


class InvalidInput(StudioError, ValueError):
    code = ErrorCode.INVALID_INPUT


class NotFound(StudioError, LookupError):
    code = ErrorCode.NOT_FOUND


class Conflict(StudioError):
    code = ErrorCode.CONFLICT


class TooLarge(StudioError):
    code = ErrorCode.TOO_LARGE


class UntrustedModel(StudioError):
    """A model file holds types nobody trusted (or is a pickle): loading it would run code
    from its author. The message names the types and how to trust them."""

    code = ErrorCode.CONFLICT


class SchemaOutOfDate(StudioError):
    code = ErrorCode.SCHEMA_OUT_OF_DATE


class StoreError(StudioError):
    code = ErrorCode.STORE_ERROR


def error_for_status(status: int, message: str) -> StudioError:
    """The exception a remote client raises for an HTTP error answer."""
    for code, http_status in HTTP_STATUS.items():
        if http_status == status:
            return _BY_CODE[code](message)
    if 400 <= status < 500:
        return InvalidInput(message)
    return StoreError(message)


_BY_CODE: dict[ErrorCode, type[StudioError]] = {
    ErrorCode.INVALID_INPUT: InvalidInput,
    ErrorCode.NOT_FOUND: NotFound,
    ErrorCode.CONFLICT: Conflict,
    ErrorCode.TOO_LARGE: TooLarge,
    ErrorCode.SCHEMA_OUT_OF_DATE: SchemaOutOfDate,
    ErrorCode.STORE_ERROR: StoreError,
}
