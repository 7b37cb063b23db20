"""Typed API errors of the stand-in, each carrying Determined's error shape.

The store raises them deep inside an operation; the app turns them into an HTTP response in
one place (``app.error_middleware``), so no handler ever builds an error body itself.
"""
from __future__ import annotations

from typing import Any


class StandinAPIError(Exception):
    """An error a real master would answer with ``{code, message, details}`` (grpc-gateway)."""

    status = 500
    grpc_code = 13  # INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.grpc_code, "message": self.message, "details": []}


class BadRequest(StandinAPIError):
    status = 400
    grpc_code = 3  # INVALID_ARGUMENT


class Unauthenticated(StandinAPIError):
    status = 401
    grpc_code = 16  # UNAUTHENTICATED


class Forbidden(StandinAPIError):
    status = 403
    grpc_code = 7  # PERMISSION_DENIED


class NotFound(StandinAPIError):
    status = 404
    grpc_code = 5  # NOT_FOUND


class Conflict(StandinAPIError):
    status = 409
    grpc_code = 6  # ALREADY_EXISTS


class Internal(StandinAPIError):
    """An injected or unexpected failure; ``status`` is chosen per instance."""

    def __init__(self, message: str, *, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


class FailedPrecondition(BadRequest):
    status = 400
    grpc_code = 9  # FAILED_PRECONDITION


class Unimplemented(StandinAPIError):
    """What needs agents or containers (shells, notebooks, tensorboards, commands)."""

    status = 501
    grpc_code = 12  # UNIMPLEMENTED
