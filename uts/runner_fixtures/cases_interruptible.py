"""Two units that check they can interrupt what they start: a child Python gets SIGINT as
KeyboardInterrupt, however ./uts.py itself was started."""
import signal
import subprocess
import sys
import unittest

CHILD = "import signal, sys; sys.exit(signal.getsignal(signal.SIGINT) is not signal.default_int_handler)"


class Interruptible(unittest.TestCase):
    def test_a_child_python_handles_sigint(self):
        self.assertEqual(subprocess.run([sys.executable, "-c", CHILD], timeout=60).returncode, 0)


class InterruptibleToo(Interruptible):
    pass
