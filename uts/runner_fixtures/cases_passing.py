"""Classes that pass: the units the others run beside."""
import unittest


class PassingOne(unittest.TestCase):
    def test_one(self):
        pass


class PassingTwo(unittest.TestCase):
    def test_two(self):
        pass

    def test_three(self):
        pass
