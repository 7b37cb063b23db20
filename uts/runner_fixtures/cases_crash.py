"""A test that ends its worker process outright, as a stray signal or os._exit would."""
import os
import unittest


class Crash(unittest.TestCase):
    def test_ends_the_process(self):
        os._exit(3)
