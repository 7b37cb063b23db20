"""Tests that ``uts/test_runner.py`` hands to the parallel runner: not discovered by ``./uts.py``
(no ``test`` prefix), each module one behaviour a runner must get right."""
