"""Small pure pieces: pagination, fault specs, searcher grids, config expansion, summaries."""
from __future__ import annotations

import unittest

from daist.standin.common.errors import BadRequest
from daist.standin.state.expconf import environment_pairs, expand, merge, parse_config
from daist.standin.faults.spec import FaultSpecError, normalize_rule, parse_option
from daist.standin.trials.searcher import trial_hparams
from daist.standin.state.summary import fold, is_better
from daist.standin.common.wire import Page, iso, parse_iso


class TestWire(unittest.TestCase):
    def test_page(self) -> None:
        self.assertEqual(Page.of(total=10, offset=8, limit=5).to_dict(),
                         {"offset": 8, "limit": 5, "startIndex": 8, "endIndex": 10, "total": 10})
        self.assertEqual(Page.of(total=10, offset=-3).cut(list(range(10))), [7, 8, 9])
        self.assertEqual(Page.of(total=3, offset=50).cut([1, 2, 3]), [])

    def test_timestamps_round_trip_and_accept_nanoseconds(self) -> None:
        self.assertEqual(iso(0.5), "1970-01-01T00:00:00.500000Z")
        self.assertEqual(parse_iso("1970-01-01T00:00:01.250000123Z"), 1.25)
        self.assertIsNone(parse_iso(""))


class TestFaultSpec(unittest.TestCase):
    def test_cli_forms(self) -> None:
        self.assertEqual(parse_option("--latency", "50:10@^/api")["jitter_ms"], 10.0)
        rule = parse_option("error-rate", "0.25:503@/x")
        self.assertEqual((rule["error_rate"], rule["status"], rule["path"]), (0.25, 503, "/x"))
        self.assertTrue(parse_option("hang", "/slow")["hang"])
        self.assertEqual(parse_option("drop-rate", "1")["drop_rate"], 1.0)
        self.assertEqual(parse_option("fault", '{"path": "/a", "count": 2}')["count"], 2)

    def test_rejects(self) -> None:
        for option, value in (("latency", "x"), ("error-rate", "1.5"), ("hang", "(["),
                              ("fault", "[]"), ("nope", "1"), ("error-rate", "0.1:abc")):
            with self.subTest(option=option, value=value), self.assertRaises(FaultSpecError):
                parse_option(option, value)
        with self.assertRaises(FaultSpecError):
            normalize_rule({"path": "", "status": 99})


class TestSearcher(unittest.TestCase):
    def test_grid_over_int_const_categorical_and_nested(self) -> None:
        config = {"searcher": {"name": "grid"}, "hyperparameters": {
            "c": {"type": "int", "minval": 1, "maxval": 5, "count": 4},
            "k": {"type": "categorical", "vals": ["a", "b"]}, "fixed": {"type": "const", "val": 7},
            "plain": 3, "nested": {"lr": {"type": "categorical", "vals": [0.1]}}}}
        trials = trial_hparams(config, seed=0)
        self.assertEqual(len(trials), 8)
        self.assertEqual(sorted({t["c"] for t in trials}), [1, 2, 4, 5])
        self.assertTrue(all(t["fixed"] == 7 and t["plain"] == 3 and t["nested"] == {"lr": 0.1}
                            for t in trials))

    def test_metric_latency_grid_gives_one_trial_per_concurrency(self) -> None:
        for c in (1, 2, 4, 8, 32):
            config = {"searcher": {"name": "grid"}, "hyperparameters": {
                "concurrency": {"type": "int", "minval": 1, "maxval": c + 1, "count": c}}}
            self.assertEqual(len(trial_hparams(config, seed=0)), c)

    def test_random_is_seeded_and_bounded(self) -> None:
        config = {"searcher": {"name": "random", "max_trials": 5}, "hyperparameters": {
            "lr": {"type": "double", "minval": 0.1, "maxval": 0.2}}}
        first, second = trial_hparams(config, seed=4), trial_hparams(config, seed=4)
        self.assertEqual(first, second)
        self.assertTrue(all(0.1 <= t["lr"] <= 0.2 for t in first))

    def test_bad_spaces(self) -> None:
        for space in ({"h": {"type": "int"}}, {"h": {"type": "weird"}},
                      {"h": {"type": "int", "minval": 0, "maxval": 10 ** 6, "count": 10 ** 6}}):
            with self.subTest(space=space), self.assertRaises(BadRequest):
                trial_hparams({"searcher": {"name": "grid"}, "hyperparameters": space}, seed=0)


class TestExpConf(unittest.TestCase):
    def test_parse_and_expand(self) -> None:
        config = expand(parse_config("entrypoint: python3 x.py\nenvironment:\n"
                                     "  environment_variables: [A=1, B=x=y]\n"),
                        checkpoint_dir="/ckpt")
        self.assertEqual(config["checkpoint_storage"]["type"], "directory")
        self.assertEqual(config["checkpoint_storage"]["container_path"], "/ckpt")
        self.assertEqual(config["searcher"]["max_concurrent_trials"], 16)
        self.assertEqual(environment_pairs(config), {"A": "1", "B": "x=y"})

    def test_bad_yaml_and_merge(self) -> None:
        for text in ("", "[1, 2]", "a: [", 5):
            with self.subTest(text=text), self.assertRaises(BadRequest):
                parse_config(text)
        self.assertEqual(merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}), {"a": {"b": 1, "c": 3}})


class TestSummary(unittest.TestCase):
    def test_fold(self) -> None:
        summary: dict = {}
        fold(summary, "training", {"loss": 2.0, "tag": "x"})
        fold(summary, "training", {"loss": 1.0})
        fold(summary, "validation", {"acc": 0.5})
        loss = summary["avg_metrics"]["loss"]
        self.assertEqual((loss["count"], loss["sum"], loss["min"], loss["max"], loss["last"]),
                         (2, 3.0, 1.0, 2.0, 1.0))
        self.assertEqual(summary["avg_metrics"]["tag"], {"last": "x", "type": "string"})
        self.assertIn("acc", summary["validation_metrics"])

    def test_is_better(self) -> None:
        self.assertTrue(is_better(1, 2, smaller_is_better=True))
        self.assertFalse(is_better(1, 2, smaller_is_better=False))
        self.assertTrue(is_better(1, None, smaller_is_better=True))
        self.assertFalse(is_better("x", 1, smaller_is_better=True))


if __name__ == "__main__":
    unittest.main()
