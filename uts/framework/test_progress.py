import io
import logging
import unittest

from daist.framework import log
from daist.framework.progress import Progress, clock_text


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Tty(io.StringIO):
    def isatty(self):
        return True


class TestProgress(unittest.TestCase):
    def test_line_shows_elapsed_remaining_and_figures(self):
        clock = FakeClock()
        progress = Progress("TestRO.test", total_s=30, stream=io.StringIO(), clock=clock)
        clock.now += 12
        line = progress.line({"users": 10, "req/s": 532.14, "failures": "3 (0.6%)", "p95 ms": 12.0})
        self.assertEqual(line, "[TestRO.test] 00:12 elapsed, 00:18 left | users 10 | req/s 532 | "
                               "failures 3 (0.6%) | p95 ms 12.0")

    def test_rate_limited_lines_without_a_terminal(self):
        clock, stream = FakeClock(), io.StringIO()
        progress = Progress("x", total_s=None, stream=stream, interval=10, clock=clock)
        self.assertTrue(progress.update({"n": 1}))
        clock.now += 5
        self.assertFalse(progress.update({"n": 2}))
        clock.now += 6
        self.assertTrue(progress.update({"n": 3}))
        progress.done({"n": 4})
        self.assertEqual(stream.getvalue().count("\n"), 3)
        self.assertTrue(stream.getvalue().rstrip().endswith("n 4 | done"))

    def test_the_last_line_says_how_the_work_ended(self):
        stream = io.StringIO()
        Progress("x", stream=stream, clock=FakeClock()).done({"n": 4}, ending="interrupted")
        self.assertEqual(stream.getvalue(), "[x] 00:00 elapsed | n 4 | interrupted\n")

    def test_terminal_rewrites_one_line(self):
        stream = Tty()
        progress = Progress("x", stream=stream, interval=0, clock=FakeClock())
        progress.update({"n": 1000})
        progress.update({"n": 1})
        self.assertNotIn("\n", stream.getvalue())
        self.assertEqual(stream.getvalue().split("\r")[-1].strip(), "[x] 00:00 elapsed | n 1")
        progress.done({"n": 2})
        self.assertTrue(stream.getvalue().endswith("n 2 | done\n"))

    def test_log_records_go_above_the_live_line(self):
        stream = Tty()
        progress = Progress("load", stream=stream, interval=0, clock=FakeClock())
        progress.update({"p95 ms": 18})
        handler = log._ConsoleHandler(stream)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        handler.emit(logging.makeLogRecord({"msg": "Ramping to 10 users", "levelname": "INFO"}))
        progress.update({"p95 ms": 19})
        lines = [segment.strip() for segment in stream.getvalue().replace("\r", "\n").split("\n")]
        self.assertIn("INFO Ramping to 10 users", lines)  # whole, on its own line
        self.assertEqual(lines[-1], "[load] 00:00 elapsed | p95 ms 19")

    def test_estimate_from_work_done(self):
        clock = FakeClock()
        progress = Progress("metrics concurrency 4", total=128, unit="reports", timeout_s=1800,
                            stream=io.StringIO(), clock=clock)
        clock.now += 10
        progress.update(done=32)
        self.assertEqual(progress.line({"state": "RUNNING"}),
                         "[metrics concurrency 4] 00:10 elapsed, 00:30 left, timeout in 29:50 | "
                         "reports 32/128 | state RUNNING")

    def test_a_timeout_is_not_an_estimate(self):
        clock = FakeClock()
        progress = Progress("m", timeout_s=1800, stream=io.StringIO(), clock=clock)
        clock.now += 2
        self.assertEqual(progress.line(), "[m] 00:02 elapsed, timeout in 29:58")

    def test_clock_text(self):
        self.assertEqual(clock_text(65), "01:05")
        self.assertEqual(clock_text(3725), "1:02:05")
        self.assertEqual(clock_text(-3), "00:00")


if __name__ == "__main__":
    unittest.main()
