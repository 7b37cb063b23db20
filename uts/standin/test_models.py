"""Model versions patched, models archived, summary aggregates and nested hyperparameter
columns, through the real SDK."""
from __future__ import annotations

import unittest

from determined.common.api import bindings, errors
from determined.experimental import client

from uts.standin.det_cli import ClientTestCase

NESTED_HPARAMS = {
    "optimizer": {"lr": {"type": "double", "minval": 0.001, "maxval": 0.1},
                  "name": {"type": "const", "val": "adam"},
                  "betas": {"first": 0.9}},
    "layers": {"type": "int", "minval": 1, "maxval": 4},
}


class TestModels(ClientTestCase):

    def test_patch_model_version_name_notes_and_labels(self) -> None:
        version = self.det.get_model("model-0002").get_version(1)
        version.set_name("release-candidate")
        version.set_notes("shipped on Tuesday")
        bindings.patch_PatchModelVersion(
            self.session, modelName="model-0002", modelVersionNum=1,
            body=bindings.v1PatchModelVersion(labels=["prod", "prod", "eu"], comment="ok"))
        fetched = self.det.get_model("model-0002").get_version(1)
        self.assertEqual((fetched.name, fetched.notes), ("release-candidate", "shipped on Tuesday"))
        raw = bindings.get_GetModelVersion(self.session, modelName="model-0002",
                                           modelVersionNum=1).modelVersion
        self.assertEqual((raw.labels, raw.comment), (["prod", "eu"], "ok"))
        with self.assertRaises(errors.NotFoundException):
            bindings.patch_PatchModelVersion(self.session, modelName="model-0002",
                                             modelVersionNum=99,
                                             body=bindings.v1PatchModelVersion(name="x"))

    def test_latest_version_and_listing_orders(self) -> None:
        model = self.det.get_model("model-0002")  # versions 1..3
        self.assertEqual(model.get_version().model_version, 3)
        self.assertEqual([v.model_version for v in model.list_versions()], [3, 2, 1])
        self.assertEqual([v.model_version for v in model.list_versions(client.OrderBy.ASC)],
                         [1, 2, 3])
        names = [m.name for m in self.det.list_models(sort_by=client.ModelSortBy.NAME,
                                                      order_by=client.OrderBy.DESC)]
        self.assertEqual(names, sorted(names, reverse=True))

    def test_archive_blocks_edits_until_unarchived(self) -> None:
        model = self.det.get_model("model-0003")
        model.archive()
        self.assertTrue(self.det.get_model("model-0003").archived)
        archived = bindings.get_GetModels(self.session, archived=True).models
        self.assertEqual([m.name for m in archived], ["model-0003"])
        with self.assertRaises(errors.APIException):
            model.set_description("not while archived")
        with self.assertRaises(errors.APIException):
            model.register_version(model.get_version(1).checkpoint.uuid)
        model.unarchive()
        model.set_description("editable again")
        self.assertEqual(self.det.get_model("model-0003").description, "editable again")


class TestSummariesAndColumns(ClientTestCase):

    def test_summary_metrics_keep_the_masters_aggregates(self) -> None:
        trial = self.det.get_trial(self.det.get_experiment(1).list_trials()[0].id)
        losses = [m.metrics["loss"] for m in trial.iter_metrics("training")]
        stats = trial.summary_metrics["avg_metrics"]["loss"]
        self.assertEqual(stats["count"], len(losses))
        self.assertAlmostEqual(stats["sum"], sum(losses))
        self.assertAlmostEqual(stats["mean"], sum(losses) / len(losses))
        self.assertEqual((stats["min"], stats["max"], stats["last"], stats["type"]),
                         (min(losses), max(losses), losses[-1], "number"))

    def test_nested_hyperparameters_become_dotted_columns(self) -> None:
        def nest(backend) -> int:
            store = backend.store
            project = store.add_project(workspace_id=2, name="nested-hps", user_id=1)
            config = dict(store.get_experiment(5).config, hyperparameters=NESTED_HPARAMS)
            config_id = store.add_config(config, "")
            store.db.execute("UPDATE experiments SET project_id = ?, config_id = ? WHERE id = 5",
                             (project.id, config_id))
            return project.id

        project_id = self.master.call(nest)
        columns = bindings.get_GetProjectColumns(self.session, id=project_id).columns
        hparams = {c.column: c.type for c in columns
                   if c.location == bindings.v1LocationType.HYPERPARAMETERS}
        number, text = bindings.v1ColumnType.NUMBER, bindings.v1ColumnType.TEXT
        self.assertEqual(hparams, {"hp.layers": number, "hp.optimizer.betas.first": number,
                                   "hp.optimizer.lr": number, "hp.optimizer.name": text})
        self.assertEqual([c.column for c in columns][-4:], sorted(hparams))
        # each numeric metric of the trials is four columns, as the master lists them
        validation = [c.column for c in columns
                      if c.location == bindings.v1LocationType.VALIDATIONS]
        names = sorted({column.split(".")[1] for column in validation})
        self.assertTrue(names)
        self.assertEqual(validation, [f"validation.{name}.{aggregate}" for name in names
                                      for aggregate in ("last", "max", "mean", "min")])


if __name__ == "__main__":
    unittest.main()
