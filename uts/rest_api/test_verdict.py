import unittest

from daist.framework.errors import ConfigError
from daist.models.report import LimitViolations
from daist.rest_api.verdict import endpoint_violations, parse_endpoint_slo
from uts.rest_api.factories import make_entry, make_stats

NAMES = {"get experiments", "get trial", "get me", "get agents"}


def slo(text="", *, p95=1000.0, p99=None, fail=0.05):
    return parse_endpoint_slo(text, p95_ms=p95, p99_ms=p99, max_fail_ratio=fail, test_names=NAMES)


class TestParse(unittest.TestCase):
    def test_precedence_name_over_class_over_star_over_defaults(self):
        rules = slo("*:p99=900; list:p95=2000,p99=3000; get experiments:p99=5000,fail=0.01")
        self.assertEqual(rules.limits_for("get experiments", "list"),
                         {"p95": 2000.0, "p99": 5000.0, "fail": 0.01})
        self.assertEqual(rules.limits_for("get trials", "list"), {"p95": 2000.0, "p99": 3000.0})
        self.assertEqual(rules.limits_for("get me", "get"), {"p95": 1000.0, "p99": 900.0})

    def test_empty_means_no_limit(self):  # was test_zero_disables: 0 is refused now
        self.assertEqual(slo("write:p95=").limits_for("patch model", "write"), {})
        self.assertEqual(slo(p95=None).limits_for("get me", "get"), {})
        self.assertEqual(slo("*:p95=; get me:p95=5").limits_for("get me", "get"), {"p95": 5.0})

    def test_zero_is_refused_in_one_line_naming_the_setting(self):
        for text, line in (("write:p95=0", "[locust] slo: rule 'write:p95=0': "),
                           ("get me:fail=0.0", "[locust] slo: rule 'get me:fail=0.0': ")):
            with self.assertRaises(ConfigError) as caught:
                slo(text)
            self.assertEqual(str(caught.exception),
                             line + "0 is not a limit (leave the value empty for no limit)")
        for key, kwargs in (("p95_ms", {"p95": 0}), ("p99_ms", {"p99": 0.0}),
                            ("max_fail_ratio", {"fail": 0})):
            with self.assertRaisesRegex(ConfigError, rf"^\[locust\] {key}: 0 is not a limit "):
                slo(**kwargs)

    def test_one_line_errors_name_the_key(self):
        for text, pattern in (("list p95=2", "not SELECTOR:LIMIT"),
                              ("list:p97=2", "rule 'list:p97=2': 'p97=2' names statistic 'p97'"),
                              ("get experiment:p95=1", "neither an endpoint class"),
                              ("get me:fail=5", "must be a ratio"),
                              (":p95=1", "not SELECTOR:LIMIT")):
            with self.assertRaisesRegex(ConfigError, r"^\[locust\] slo: .*" + pattern):
                slo(text)

    def test_test_names_may_contain_colons_free_text(self):
        rules = parse_endpoint_slo("a: b:p95=5", p95_ms=1, p99_ms=None, max_fail_ratio=1)
        self.assertEqual(rules.limits_for("a: b", "get")["p95"], 5.0)


class TestViolations(unittest.TestCase):
    def test_passes_within_limits(self):
        stats = make_stats(make_entry("get trial", latencies=[10.0] * 100, failures=4))
        self.assertEqual(endpoint_violations(stats, slo()), [])

    def test_failure_ratio_above_the_limit_names_endpoints_and_messages(self):
        stats = make_stats(make_entry("get trial", latencies=[10.0] * 100, failures=30,
                                      message="HTTPError: 500 Server Error"),
                           make_entry("get me", latencies=[10.0] * 100))
        found = endpoint_violations(stats, slo())
        self.assertEqual(len(found), 2)
        self.assertIn("failures 15.0% (30 of 200) > max_fail_ratio 5.0%", found[0])
        self.assertIn("get trial 30/100 (30x HTTPError: 500 Server Error)", found[0])
        self.assertEqual(found[1], "get trial: failures 30.0% (30 of 100) > 5.0% "
                                   "(max_fail_ratio, per endpoint)")
        self.assertEqual(endpoint_violations(stats, slo(fail=0.3)), [])

    def test_an_endpoint_failing_half_its_requests_fails_the_test_alone(self):
        stats = make_stats(make_entry("get agents", latencies=[3.0] * 40, failures=20,
                                      endpoint_class="get", message="LocustBadStatusCode: code=503"),
                           make_entry("get me", latencies=[3.0] * 4000, endpoint_class="get"))
        self.assertLess(stats.fail_ratio, 0.05)          # the whole test is within its limit
        self.assertEqual(endpoint_violations(stats, slo()),
                         ["get agents: failures 50.0% (20 of 40) > 5.0% (max_fail_ratio, per endpoint)"])

    def test_endpoints_are_named_worst_first(self):
        stats = make_stats(make_entry("get a", latencies=[3.0] * 100, failures=10),
                           make_entry("get b", latencies=[3.0] * 100, failures=60),
                           make_entry("get c", latencies=[3.0] * 100, failures=30),
                           make_entry("get me", latencies=[3.0] * 20000))
        found = endpoint_violations(stats, slo())
        self.assertEqual([line.split(":")[0] for line in found], ["get b", "get c", "get a"])

    def test_fewer_than_five_failures_are_left_to_the_test_total(self):
        stats = make_stats(make_entry("get a", latencies=[3.0] * 6, failures=4),
                           make_entry("get me", latencies=[3.0] * 1000))
        self.assertEqual(endpoint_violations(stats, slo()), [])
        stats = make_stats(make_entry("get a", latencies=[3.0] * 6, failures=5),
                           make_entry("get me", latencies=[3.0] * 1000))
        self.assertEqual(len(endpoint_violations(stats, slo())), 1)

    def test_slo_fail_sets_or_disables_an_endpoint_limit(self):
        stats = make_stats(make_entry("get agents", latencies=[3.0] * 40, failures=20),
                           make_entry("get me", latencies=[3.0] * 4000, failures=2))
        self.assertEqual(endpoint_violations(stats, slo("get agents:fail=0.6")), [])
        self.assertEqual(endpoint_violations(stats, slo("list:fail=")), [])
        # an explicit limit judges from the first failure
        self.assertEqual(endpoint_violations(stats, slo("get agents:fail=; get me:fail=0.0001")),
                         ["get me: failures 0.1% (2 of 4000) > 0.0%"])

    def test_latency_limits_per_class_and_name(self):
        stats = make_stats(make_entry("get experiments", latencies=[1500.0] * 100),
                           make_entry("get me", latencies=[5.0] * 100, endpoint_class="get"))
        found = endpoint_violations(stats, slo("get me:p99=4"))
        self.assertEqual(len(found), 2)
        self.assertRegex(found[0], r"^get experiments: p95 150\d\.\d ms > 1000 ms \(n=100\)$")
        self.assertRegex(found[1], r"^get me: p99 5\.0 ms > 4 ms")
        self.assertEqual(endpoint_violations(stats, slo("list:p95=2000; get me:p99=")), [])

    def test_worst_first_and_the_message_shows_the_five_worst(self):
        over = {"get a": 1100.0, "get b": 5000.0, "get c": 1200.0, "get d": 3000.0,
                "get e": 1050.0, "get f": 2000.0, "get g": 4000.0}   # 1.1x ... 5x the limit
        stats = make_stats(*(make_entry(name, latencies=[ms] * 50) for name, ms in over.items()))
        found = endpoint_violations(stats, slo())
        order = [line.split(":")[0] for line in found]
        self.assertEqual(order, sorted(over, key=lambda name: -over[name]))
        message = LimitViolations(violations=found).message
        self.assertTrue(message.startswith("7 limits broken: get b: p95 50"), message)
        self.assertIn("get c: p95 120", message)   # the fifth worst
        self.assertNotIn("get a:", message)        # the sixth is in the artifact, not the line
        self.assertTrue(message.endswith("and 2 more (every limit is listed in the report)"))

    def test_nothing_measured_fails(self):
        stats = make_stats(make_entry("get me", latencies=[]))
        self.assertEqual(endpoint_violations(stats, slo()), ["no request completed in the measured window"])


if __name__ == "__main__":
    unittest.main()
