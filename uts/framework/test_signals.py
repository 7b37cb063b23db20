import signal
import threading
import unittest

from daist.framework import signals
from daist.framework.errors import Interrupted


class TestSignals(unittest.TestCase):
    def test_both_stop_signals_reach_the_handler_and_the_previous_handlers_return(self):
        before = {signum: signal.getsignal(signum) for signum in signals.STOP_SIGNALS}
        seen = []
        with signals.handling(seen.append):
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
        self.assertEqual(seen, [signal.SIGTERM, signal.SIGINT])
        self.assertEqual({s: signal.getsignal(s) for s in signals.STOP_SIGNALS}, before)

    def test_off_the_main_thread_nothing_is_installed(self):
        before = signal.getsignal(signal.SIGTERM)
        inside = []

        def body():
            with signals.handling(lambda signum: None):
                inside.append(signal.getsignal(signal.SIGTERM))
        thread = threading.Thread(target=body)
        thread.start()
        thread.join(10)
        self.assertEqual(inside, [before])

    def test_what_a_run_ends_with(self):
        self.assertIs(type(signals.as_exception(signal.SIGINT)), KeyboardInterrupt)
        ended = signals.as_exception(signal.SIGTERM)
        self.assertIsInstance(ended, Interrupted)
        self.assertIn(str(int(signal.SIGTERM)), str(ended))


if __name__ == "__main__":
    unittest.main()
