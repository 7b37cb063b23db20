"""``DaistTestCase``: the base of every cluster test. The runner hands it the session (class
attribute ``session``) before the run; a test saves artifacts through ``save`` so each lands in
the results directory, tagged with the test and recorded in the manifest."""
from __future__ import annotations

import unittest
from pathlib import Path
from typing import ClassVar

from daist.framework.session import Session
from daist.framework.settings import Settings
from daist.models.base import Artifact, Format
from daist.models.result import test_key


class DaistTestCase(unittest.TestCase):
    session: ClassVar[Session | None] = None
    needs_slots: ClassVar[bool] = False
    """True for tests that run trials: on a real cluster they need free slots (``--list``)."""

    @classmethod
    def planned_seconds(cls, settings: Settings) -> float | None:
        """Roughly how long the test runs by the settings; None when only the cluster knows."""
        return None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        if cls.session is None:
            raise unittest.SkipTest("daist cluster tests run inside a session: use ./run.py or "
                                    "python -m daist")

    @property
    def tag(self) -> str:
        """``<TestClass>.<method>``: the tag that names this test's artifacts."""
        return test_key(self.id())

    def save(self, artifact: Artifact, *, tags: tuple | list = (), fmt: Format | None = None,
             subdir: str = "", classname: str | None = None) -> Path:
        """Save into the results directory as ``<classname>-<Class.method>-<tags>-<stamp>``,
        recorded in the manifest with this test's id."""
        assert self.session is not None and self.session.result is not None
        return self.session.result.add(artifact, test_id=self.id(), tags=(self.tag, *tags),
                                       fmt=fmt, subdir=subdir, classname=classname)

    def new_artifact_path(self, classname: str, *, tags: tuple | list = (), fmt: Format,
                          subdir: str = "") -> Path:
        """A fresh path for a file another tool writes; call ``record_artifact`` once written."""
        assert self.session is not None and self.session.result is not None
        path = self.session.result.new_path(classname, tags=(self.tag, *tags), fmt=fmt,
                                            subdir=subdir)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def record_artifact(self, path: Path, *, classname: str | None) -> Path:
        assert self.session is not None and self.session.result is not None
        return self.session.result.record(path, classname=classname, test_id=self.id())


def iter_tests(suite: unittest.TestSuite | unittest.TestCase):
    if isinstance(suite, unittest.TestSuite):
        for item in suite:
            yield from iter_tests(item)
    else:
        yield suite


def attach_session(suite: unittest.TestSuite, session: Session | None) -> list[type]:
    """Give every DaistTestCase class in ``suite`` the session (None detaches)."""
    classes = {type(test) for test in iter_tests(suite) if isinstance(test, DaistTestCase)}
    for cls in classes:
        cls.session = session
    return sorted(classes, key=lambda c: c.__qualname__)
