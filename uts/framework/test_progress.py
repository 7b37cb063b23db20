import io
import unittest

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

    def test_terminal_rewrites_one_line(self):
        stream = Tty()
        progress = Progress("x", stream=stream, interval=0, clock=FakeClock())
        progress.update({"n": 1000})
        progress.update({"n": 1})
        self.assertNotIn("\n", stream.getvalue())
        self.assertEqual(stream.getvalue().count("\r"), 2)

    def test_clock_text(self):
        self.assertEqual(clock_text(65), "01:05")
        self.assertEqual(clock_text(3725), "1:02:05")
        self.assertEqual(clock_text(-3), "00:00")


if __name__ == "__main__":
    unittest.main()
