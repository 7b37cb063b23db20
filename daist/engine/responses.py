"""A Locust response after its ``catch_response`` block has reported."""
from __future__ import annotations

from typing import Any


def release(response: Any) -> None:
    """Locust's response context shares its ``__dict__`` with the response and keeps there the
    request's metadata, which holds the response: a cycle of some 18 objects per request, body
    included. With thousands of users in flight those cycles outlive the young generations and
    pile up for the full collections (5,000 simulated trials a worker: 1.6-2.6 s stalls, past
    Locust's heartbeat). Without it they go with their last reference."""
    response.request_meta = None
