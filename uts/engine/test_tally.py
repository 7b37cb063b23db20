"""The engine's exact tally: what workers drain and the master merges adds up to what one
process would have recorded, counts, failures and percentiles alike."""
import unittest
from unittest import mock

from daist.engine import tally as tally_module
from daist.engine.tally import ExactTally


def recorded(latencies, *, failures=0, name="report") -> ExactTally:
    tally = ExactTally()
    tally.open_window(0.0)
    for ms in latencies:
        tally.on_request(name=name, response_time=ms)
    for _ in range(failures):
        tally.on_request(name=name, response_time=1.0, exception=RuntimeError("HTTP 500:  x"))
    return tally


class TestExactTally(unittest.TestCase):
    def test_a_histogram_is_made_once_per_name_and_report_not_per_request(self):
        made = mock.Mock(side_effect=tally_module.NameTally)
        with mock.patch.object(tally_module, "NameTally", made):
            tally = recorded([1.0] * 100)       # the window's tally and the next report's
            self.assertEqual(made.call_count, 2)
            tally.drain()
            tally.on_request(name="report", response_time=1.0)
            self.assertEqual(made.call_count, 3)  # the next report's part only

    def test_drained_parts_merge_to_the_whole(self):
        first, second = recorded([1.0, 2.0, 3.0], failures=1), recorded([10.0, 20.0], failures=2)
        whole = recorded([1.0, 2.0, 3.0, 10.0, 20.0], failures=3)
        master = ExactTally()
        master.merge(first.drain())
        master.merge(second.drain())
        self.assertEqual(master.count("report"), whole.count("report"))
        self.assertEqual(master.failures(), ["report: HTTP 500: x (x3)"])
        for percentile in (50.0, 95.0, 100.0):
            self.assertEqual(master.names["report"].percentile_ms(percentile),
                             whole.names["report"].percentile_ms(percentile))
        self.assertEqual(first.drain(), {})  # drained once: the next report carries only news

    def test_nothing_is_recorded_outside_the_window(self):
        tally = ExactTally()
        tally.on_request(name="report", response_time=5.0)
        tally.open_window(0.0)
        tally.on_request(name="report", response_time=5.0)
        tally.close_window(1.0)
        tally.on_request(name="report", response_time=5.0)
        self.assertEqual(tally.count("report"), 1)
        self.assertAlmostEqual(tally.names["report"].percentile_ms(50.0), 5.0, delta=0.01)


if __name__ == "__main__":
    unittest.main()
