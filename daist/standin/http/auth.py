"""Who is calling: a user token (``Authorization: Bearer``), the web UI's ``auth`` cookie,
or a task token (``Grpc-Metadata-x-allocation-token: Bearer``)."""
from __future__ import annotations

from aiohttp import web

from daist.standin.state.entities import User
from daist.standin.common.errors import Forbidden, Unauthenticated
from daist.standin.state.store import StandinStore

TASK_HEADER = "Grpc-Metadata-x-allocation-token"
USER = web.RequestKey("user", User)  # set on every authenticated request
TOKEN = web.RequestKey("token", str)
AUTH_COOKIE = "auth"


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def request_token(request: web.Request) -> str | None:
    return (_bearer(request.headers.get("Authorization"))
            or _bearer(request.headers.get(TASK_HEADER))
            or request.cookies.get(AUTH_COOKIE) or None)


def authenticate(store: StandinStore, request: web.Request) -> tuple[User, str]:
    token = request_token(request)
    if token is None:
        raise Unauthenticated("token missing")  # grpcutil.ErrTokenMissing
    return store.user_for_token(token), token


def require_admin(user: User, message: str = "only admin privileged users can do this") -> None:
    """403 / PERMISSION_DENIED unless ``user`` is an admin (Determined's basic authz)."""
    if not user.admin:
        raise Forbidden(message)


def require_admin_or_owner(user: User, owner_ids: int | tuple[int, ...], message: str) -> None:
    """403 / PERMISSION_DENIED unless ``user`` is an admin or (one of) the object's owner(s)."""
    owners = owner_ids if isinstance(owner_ids, tuple) else (owner_ids,)
    if not user.admin and user.id not in owners:
        raise Forbidden(message)
