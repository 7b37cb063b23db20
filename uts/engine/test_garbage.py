"""A worker's users leave the garbage collector's sight once every one has started: full
collections over thousands of users' objects stalled its loop past Locust's heartbeat."""
import gc
import unittest
from types import SimpleNamespace

from daist.engine.garbage import freeze_when_spawned


class Hook:
    """Locust's event hook, as far as the engine uses it (importing Locust patches the process)."""

    def __init__(self) -> None:
        self.listeners = []

    def add_listener(self, listener) -> None:
        self.listeners.append(listener)

    def fire(self, **kwargs) -> None:
        for listener in self.listeners:
            listener(**kwargs)


class TestFreezeWhenSpawned(unittest.TestCase):
    def test_the_users_objects_are_frozen_when_spawning_completes(self):
        env = SimpleNamespace(events=SimpleNamespace(spawning_complete=Hook()))
        freeze_when_spawned(env)
        self.addCleanup(gc.unfreeze)
        gc.unfreeze()
        users = [[object()] for _ in range(1000)]  # tracked containers, as users' objects are
        self.assertEqual(gc.get_freeze_count(), 0)
        env.events.spawning_complete.fire(user_count=len(users))
        self.assertGreaterEqual(gc.get_freeze_count(), len(users))


if __name__ == "__main__":
    unittest.main()
