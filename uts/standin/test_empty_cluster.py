"""``--scale 0``: a stand-in that starts like a fresh master, so exact listings can be asserted."""
from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path
import warnings

from determined.common.api import bindings
from daist.framework.errors import ConfigError
from daist.framework.settings import load_settings
from daist.standin.seed.seeder import SeedSpec, scale_error, seed_store, seed_usernames
from daist.standin.state.store import StandinStore
from uts.standin.det_cli import ClientTestCase


class TestEmptyCluster(ClientTestCase):
    master_options = {"scale": 0}
    uses_cli = True

    def test_sdk_sees_only_what_a_fresh_master_has(self) -> None:
        self.assertEqual([u.username for u in self.det.list_users()], ["admin", "determined"])
        self.assertEqual([w.name for w in self.det.list_workspaces()], ["Uncategorized"])
        projects = self.det.get_workspace("Uncategorized").list_projects()
        self.assertEqual([p.name for p in projects], ["Uncategorized"])
        self.assertEqual(list(self.det.list_experiments()), [])
        with warnings.catch_warnings():  # the SDK's own default argument is deprecated
            warnings.simplefilter("ignore", FutureWarning)
            self.assertEqual(self.det.list_models(), [])
        self.assertEqual(bindings.get_GetWebhooks(self.session).webhooks, [])

    def test_counts_hold_no_seeded_rows(self) -> None:
        counts = self.counts()
        for kind in ("experiments", "trials", "checkpoints", "models", "templates", "webhooks",
                     "commands", "notes"):
            self.assertEqual(counts[kind], 0, kind)
        self.assertEqual((counts["users"], counts["workspaces"], counts["projects"]), (2, 1, 1))

    def test_cli_listings_are_empty(self) -> None:
        experiments = self.cli.ok("experiment", "list", "--all", "--csv").strip().splitlines()
        self.assertEqual(len(experiments), 1, experiments)  # the header only
        workspaces = json.loads(self.cli.ok("workspace", "list", "--json"))
        self.assertEqual([w["name"] for w in workspaces], ["Uncategorized"])
        tasks = self.cli.ok("task", "list", "--csv").strip().splitlines()
        self.assertEqual(len(tasks), 1, tasks)


class TestScaleBounds(unittest.TestCase):
    def test_zero_or_ten_and_up(self) -> None:
        self.assertIsNone(scale_error(0))
        self.assertIsNone(scale_error(10))
        self.assertIn("0 (an empty cluster)", scale_error(5) or "")
        self.assertEqual(seed_usernames(0), ["admin", "determined"])

    def test_daist_config_takes_scale_zero_and_refuses_one_to_nine(self) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as config:
            config.write("[standin]\nscale = 0\n")
            config.flush()
            self.assertEqual(load_settings(environ={}, config_path=Path(config.name))
                             .standin.scale, 0)
        with self.assertRaises(ConfigError) as caught:
            load_settings(environ={"DAIST_STANDIN_SCALE": "5"})
        self.assertIn("DAIST_STANDIN_SCALE", str(caught.exception))

    def test_reseeding_an_empty_store_twice_is_identical(self) -> None:
        store = StandinStore()
        try:
            seed_store(store, SeedSpec(scale=0))
            first = store.list_workspaces()
            seed_store(store, SeedSpec(scale=0))
            self.assertEqual([w.to_dict() for w in store.list_workspaces()],
                             [w.to_dict() for w in first])
        finally:
            store.close()


if __name__ == "__main__":
    unittest.main()
