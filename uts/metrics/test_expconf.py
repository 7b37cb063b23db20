import unittest

from daist.metrics.expconf import Level, experiment_config, model_dir
from daist.models.config import MetricsSettings
from daist.standin.trials.searcher import trial_hparams


class TestExperimentConfig(unittest.TestCase):
    def test_one_trial_per_concurrency_point_all_at_once(self):
        for concurrency in (1, 2, 32):
            level = Level(concurrency=concurrency, metric_count=64, num_batches=9)
            config = experiment_config(level, settings=MetricsSettings(visible_timeout=7), name="n")
            self.assertEqual(config["searcher"]["name"], "grid")
            self.assertEqual(config["searcher"]["max_concurrent_trials"], concurrency)
            hparams = trial_hparams(config, seed=0)  # the stand-in's grid expansion
            self.assertEqual(len(hparams), concurrency)
            self.assertEqual({(h["num_batches"], h["metric_count"], h["visible_timeout"])
                              for h in hparams}, {(9, 64, 7)})
            self.assertEqual(config["entrypoint"], "python3 model_def.py")
            self.assertEqual((config["name"], config["max_restarts"]), ("n", 0))

    def test_image_and_pool_only_when_configured(self):
        level = Level(concurrency=1, metric_count=1, num_batches=1)
        plain = experiment_config(level, settings=MetricsSettings(), name="n")
        self.assertNotIn("environment", plain)
        self.assertNotIn("resource_pool", plain["resources"])
        custom = experiment_config(level, settings=MetricsSettings(image="det/env:1", resource_pool="cpu"),
                                   name="n")
        self.assertEqual(custom["environment"]["image"], "det/env:1")
        self.assertEqual(custom["resources"]["resource_pool"], "cpu")

    def test_model_dir_holds_only_the_trial_code(self):
        with model_dir() as folder:
            self.assertEqual(sorted(p.name for p in folder.iterdir()), ["model_def.py"])
            self.assertIn("WriteProbe", (folder / "model_def.py").read_text())
        self.assertFalse(folder.exists())

    def test_describe(self):
        self.assertEqual(Level(concurrency=1, metric_count=256, num_batches=8).describe(),
                         "1 trial x 8 reports x 256 metrics")
