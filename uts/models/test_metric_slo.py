import unittest

from daist.framework.errors import ConfigError
from daist.models.limits import LimitRule as Slo, metric_limits
from daist.models.metric_slo import violations
from daist.models.metric_latency import Hist, MetricLatencyOpHist

OPS = ("enqueue", "write", "visible", "read_training")


def parse_slo(text, **kwargs):
    return metric_limits(text, **kwargs).rules


def op_hist():
    hists = MetricLatencyOpHist()
    hists.add("write", 1, Hist([1.0, 2.0, 3.0, 4.0]))
    hists.add("write", 32, Hist([100.0, 200.0, 300.0, 400.0]))
    hists.add("visible", 32, Hist([500.0] * 10))
    return hists


class TestParse(unittest.TestCase):
    def test_rules(self):
        rules = parse_slo(" write:p95@32=250 ; visible:P99.9=1000;;read_training:max=5.5 ", operations=OPS)
        self.assertEqual(rules, [Slo("write", "p95", 32, 250.0), Slo("visible", "p99.9", None, 1000.0),
                                 Slo("read_training", "max", None, 5.5)])
        self.assertEqual(str(rules[0]), "write:p95@32=250")
        self.assertEqual(parse_slo("", operations=OPS), [])

    def test_errors_are_one_line_and_name_the_key(self):
        cases = {"write=250": "is not OPERATION:STAT",
                 "read:p95=250": "names operation 'read'; known: enqueue, write",
                 "write:p42=250": "names statistic 'p42'",
                 "write:p95@x=250": "level 'x' is not a concurrency",
                 "write:p95@0=250": "level '0' is not a concurrency",
                 "write:p95=fast": "limit 'fast' is not a number of ms > 0",
                 "write:p95=-3": "limit '-3'",
                 "write:p95=nan": "limit 'nan'"}
        for text, expected in cases.items():
            with self.assertRaises(ConfigError, msg=text) as caught:
                parse_slo(f"visible:p50=1; {text}", operations=OPS, error=ConfigError)
            message = str(caught.exception)
            self.assertTrue(message.startswith("[metrics] slo: rule "), message)
            self.assertIn(expected, message)
            self.assertNotIn("\n", message)


class TestZero(unittest.TestCase):
    def test_zero_is_refused_in_the_load_tests_line_shape(self):
        with self.assertRaises(ConfigError) as caught:
            parse_slo("write:p95@32=0", operations=OPS, error=ConfigError)
        self.assertEqual(str(caught.exception), "[metrics] slo: rule 'write:p95@32=0': 0 is not "
                                                "a limit (leave the value empty for no limit)")

    def test_empty_means_no_limit(self):
        rules = parse_slo("write:p95=; visible:p99=5,max=", operations=OPS)
        self.assertEqual(rules, [Slo("write", "p95"), Slo("visible", "p99", None, 5.0),
                                 Slo("visible", "max")])
        self.assertEqual(violations(rules, op_hist()), ["visible p99 at concurrency 32: 500.0 ms "
                                                        "> 5 ms (10 samples)"])


class TestViolations(unittest.TestCase):
    def test_lines_name_level_operation_and_numbers(self):
        lines = violations(parse_slo("write:p95@32=250; write:max=3.5; visible:p50=1000",
                                     operations=OPS), op_hist())
        self.assertEqual(lines, [
            "write p95 at concurrency 32: 385.0 ms > 250 ms (4 samples)",
            "write max at concurrency 1: 4.0 ms > 3.5 ms (4 samples)",
            "write max at concurrency 32: 400.0 ms > 3.5 ms (4 samples)"])

    def test_within_limits(self):
        self.assertEqual(violations(parse_slo("write:p95@1=10; visible:mean=500", operations=OPS),
                                    op_hist()), [])

    def test_unmeasured_levels_and_operations_are_violations(self):
        lines = violations(parse_slo("write:p95@8=250; enqueue:p50=1", operations=OPS), op_hist())
        self.assertEqual(lines, ["write:p95@8=250: write at concurrency 8 was not measured",
                                 "enqueue:p50=1: enqueue was not measured"])
