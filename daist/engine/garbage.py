"""The garbage collector in a load-generating process: what lives for the whole load (modules,
settings, then the users) is moved out of its sight, so full collections scan only what the load
creates and do not stall the event loop that times every request. Imports no Locust (a test
process may use it unpatched)."""
from __future__ import annotations

import gc
from typing import Any


def freeze_when_spawned(env: Any) -> None:
    """The users live until the load stops: once every one has started (Locust's
    ``spawning_complete``), their objects leave the collector's sight too. Full collections
    over 5,000 simulated trials' objects stalled a worker's loop for up to 2.2 s (loop_watch),
    long enough to miss Locust's heartbeat. A frozen object is still freed by its reference
    count; only cycles made before the freeze stay (a request makes none: uts.rest_api.test_user)."""
    env.events.spawning_complete.add_listener(lambda **kwargs: gc.freeze())


def freeze_garbage() -> None:
    """Move every object made so far (modules, settings, the catalogue) out of the garbage
    collector's sight, as Locust's --processes does: full collections during the load then
    scan only what the load creates, worth several % of a generator core. numpy is imported
    first (the recorder settles with it): imported later, its tens of thousands of objects
    would be scanned by every full collection of the load, at ~15 us per request."""
    import numpy  # noqa: F401
    gc.collect()
    gc.freeze()
