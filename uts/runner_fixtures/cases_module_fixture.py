"""Two classes under one module fixture: the fixture must run once, around both."""
import os
import unittest
from pathlib import Path


def setUpModule():
    with open(Path(os.environ["UTS_FIXTURE_SCRATCH"]) / "module-fixture.log", "a") as log:
        log.write(f"{os.getpid()}\n")


class First(unittest.TestCase):
    def test_a(self):
        pass


class Second(unittest.TestCase):
    def test_b(self):
        pass
