"""``StandinStore`` and ``seed``: operations, errors, counts, determinism."""
from __future__ import annotations

import unittest

from daist.standin.common.errors import BadRequest, Conflict, Internal, NotFound, Unauthenticated
from daist.standin.state.exp_entities import TERMINAL_STATES
from daist.standin.seed.seeder import SeedSpec, seed_store
from daist.standin.state.store import ExperimentQuery, StandinStore


class TestSeed(unittest.TestCase):
    def test_same_spec_gives_same_rows(self) -> None:
        dumps = []
        for _ in range(2):
            store = StandinStore()
            seed_store(store, SeedSpec(scale=30, seed=5))
            dumps.append(([e.to_dict() for e in store.list_experiments(ExperimentQuery(), limit=-1)[0]],
                          store.get_trial(7).to_dict(), store.counts()))
            store.close()
        self.assertEqual(dumps[0], dumps[1])

    def test_scale_sizes_and_the_seed_contract(self) -> None:
        store = StandinStore()
        seed_store(store, SeedSpec(scale=40))
        counts = store.counts()
        self.assertEqual(counts["experiments"], 40)
        self.assertGreaterEqual(counts["trials"], 40)
        first = store.get_experiment(1)
        self.assertEqual(first.state, "STATE_COMPLETED")
        trial = store.get_trial(first.trial_ids[0])
        self.assertIsNotNone(trial.best_checkpoint)
        self.assertIn("loss", trial.summary_metrics["avg_metrics"])
        self.assertTrue(all(e.state in TERMINAL_STATES for e in
                            store.list_experiments(ExperimentQuery(), limit=-1)[0]))
        self.assertTrue(store.active_allocations())
        self.assertEqual(store.list_model_versions("model-0001")[1][0].version, 1)

    def test_bounds_and_passwords(self) -> None:
        store = StandinStore()
        with self.assertRaises(ValueError):
            seed_store(store, SeedSpec(scale=9))
        seed_store(store, SeedSpec(scale=10, passwords=(("admin", "pw"),)))
        with self.assertRaises(Unauthenticated):
            store.login(username="admin", password="", is_hashed=False)
        self.assertEqual(store.login(username="admin", password="pw", is_hashed=False)[1].id, 1)


class TestStoreOperations(unittest.TestCase):
    def setUp(self) -> None:
        self.store = StandinStore()
        seed_store(self.store, SeedSpec(scale=10))
        self.addCleanup(self.store.close)

    def test_errors_carry_determined_shape(self) -> None:
        with self.assertRaises(NotFound) as caught:
            self.store.get_experiment(99)
        self.assertEqual(caught.exception.to_dict()["code"], 5)
        with self.assertRaises(Conflict):
            self.store.add_workspace(name="Uncategorized", user_id=1)
        with self.assertRaises(BadRequest):
            self.store.add_workspace(name=" ", user_id=1, checkpoint_storage={"type": "s3"})
        with self.assertRaises(Internal) as immutable:  # the master's plain error: 500
            self.store.delete_project(1)
        self.assertEqual(immutable.exception.to_dict()["code"], 13)

    def test_metrics_fold_into_trial_and_best_validation(self) -> None:
        trial_id = self.store.add_trial(experiment_id=1, hparams={}, task_id="t")
        for steps, loss in ((10, 0.5), (20, 0.2), (30, 0.9)):
            self.store.add_metrics(trial_id, group="validation", body={
                "trialRunId": 1, "stepsCompleted": steps,
                "metrics": {"avgMetrics": {"validation_loss": loss}}})
        trial = self.store.get_trial(trial_id)
        self.assertEqual(trial.best_validation.steps, 20)
        self.assertEqual(trial.latest_validation.steps, 30)
        self.assertEqual(trial.total_batches, 30)
        reports = [r for chunk in self.store.iter_metrics([trial_id], group="validation", chunk=2)
                   for r in chunk]
        self.assertEqual([r.steps for r in reports], [10, 20, 30])
        with self.assertRaises(BadRequest):
            self.store.add_metrics(trial_id, group="training", body={"metrics": {}})

    def test_transaction_rolls_back(self) -> None:
        before = self.store.counts()
        with self.assertRaises(RuntimeError), self.store.transaction():
            self.store.add_model({"name": "doomed"}, user_id=1)
            raise RuntimeError
        self.assertEqual(self.store.counts(), before)

    def test_experiment_query_filters(self) -> None:
        found, page = self.store.list_experiments(ExperimentQuery(id_gte=3, id_lt=6), limit=-1)
        self.assertEqual([e.id for e in found], [3, 4, 5])
        self.assertEqual(page.total, 3)
        labelled, _ = self.store.list_experiments(ExperimentQuery(labels=["seeded"]), limit=-1)
        self.assertTrue(labelled and all("seeded" in e.labels for e in labelled))


if __name__ == "__main__":
    unittest.main()
