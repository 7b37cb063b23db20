"""Core API trials on a host without TensorFlow or PyTorch, started as Determined starts them."""
from __future__ import annotations

import importlib.util
import json
import unittest

from uts.standin.coretrial import CoreTrialCase, config


class TestTrialsWithoutFramework(CoreTrialCase):
    def test_core_init_in_auto_tensorboard_mode_completes(self) -> None:
        for framework in ("tensorflow", "torch"):  # else the fallback writer is never used
            self.assertIsNone(importlib.util.find_spec(framework), framework)
        exp = self.create(config("no-framework", hyperparameters={"steps": 3}))
        self.assertEqual(self.wait_state(exp.id, {"STATE_COMPLETED", "STATE_ERROR"}),
                         "STATE_COMPLETED")
        (trial,) = self.trials(exp.id)
        self.assertEqual(trial.state.value, "STATE_COMPLETED")
        self.assertEqual(trial.totalBatchesProcessed, 3)
        logs = self.logs(trial.id)
        # The launch layer's own lines, as in a task container.
        self.assertTrue(any("New trial runner in (container" in x for x in logs), logs)
        self.assertTrue(any("Validating checkpoint storage" in x for x in logs), logs)
        self.assertIn("Launching: ['sh', '-c', 'python3 train.py']",
                      "\n".join(logs))
        # The fallback writer got the training scalars.
        (written,) = self.master.backend.work_dir.glob(
            f"trials/{trial.taskId}.1/tensorboard-*/scalars.jsonl")
        scalars = [json.loads(x) for x in written.read_text().splitlines()]
        self.assertEqual([(s["tag"], s["step"]) for s in scalars],
                         [("Determined/loss", 1), ("Determined/loss", 2), ("Determined/loss", 3)])


if __name__ == "__main__":
    unittest.main()
