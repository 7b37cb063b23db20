"""The backend really is the host the trials room describes (the room cannot import it to check)."""
import dataclasses
import inspect
import typing
import unittest

from daist.standin.backend import Backend
from daist.standin.trials import host
from daist.standin.trials.checkpoint_gc import CheckpointGC
from daist.standin.trials.runner import TrialRunner


def _members(protocol: type) -> set[str]:
    names = set(typing.get_type_hints(protocol))
    names |= {name for name, _ in inspect.getmembers(protocol, inspect.isfunction) if not name.startswith("_")}
    return names


class TestTaskHost(unittest.TestCase):
    def test_the_backend_has_every_member_of_the_host_protocols(self) -> None:
        fields = {f.name for f in dataclasses.fields(Backend)}
        self.assertFalse(_members(host.ExperimentHost) - fields)
        self.assertFalse(_members(host.TaskHost) - fields)

    def test_the_runners_have_what_the_actions_call(self) -> None:
        for protocol, implementation in ((host.ExperimentDriver, TrialRunner),
                                         (host.ExperimentCleaner, CheckpointGC)):
            for name in _members(protocol):
                with self.subTest(protocol=protocol.__name__, member=name):
                    ours = inspect.signature(getattr(implementation, name))
                    theirs = inspect.signature(getattr(protocol, name))
                    self.assertEqual(list(ours.parameters), list(theirs.parameters))
                    self.assertEqual(inspect.iscoroutinefunction(getattr(implementation, name)),
                                     inspect.iscoroutinefunction(getattr(protocol, name)))


if __name__ == "__main__":
    unittest.main()
