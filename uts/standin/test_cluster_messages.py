"""Cluster-wide messages, the legacy ``GET /tasks`` and trial-log filters, through the real
SDK and ``det`` CLI."""
from __future__ import annotations

import json
import unittest

from determined.common import api
from determined.common.api import bindings, errors

from uts.standin.det_cli import ClientTestCase

# (timestamp, stdtype, text) lines of a fixture trial; stderr lines are ERROR, stdout INFO
LOG_LINES = [(1717200000.0, "stdout", "epoch 1 loss 0.5"),
             (1717200001.0, "stderr", "Warning: NaN in batch 7"),
             (1717200002.0, "stdout", "epoch 2 loss 0.2"),
             (1717200003.0, "stderr", "Traceback: out of memory")]


class TestClusterMessage(ClientTestCase):
    uses_cli = True

    def test_set_get_clear_through_the_cli(self) -> None:
        self.cli.ok("master", "cluster-message", "set", "-m", "maintenance at noon", "-d", "1h")
        got = json.loads(self.cli.ok("master", "cluster-message", "get", "--json"))
        self.assertEqual(got["clusterMessage"]["message"], "maintenance at noon")
        self.assertIsNotNone(got["clusterMessage"]["endTime"])
        session = self.session
        shown = bindings.get_GetMaster(session).clusterMessage
        self.assertEqual(shown.message if shown else None, "maintenance at noon")
        self.cli.ok("master", "cluster-message", "clear")
        got = json.loads(self.cli.ok("master", "cluster-message", "get", "--json"))
        self.assertIsNone(got.get("clusterMessage"))
        self.assertIsNone(bindings.get_GetMaster(session).clusterMessage)

    def test_bad_input_and_non_admins_are_refused(self) -> None:
        both = self.cli.run("master", "cluster-message", "set", "-m", "x", "-d", "5d")
        self.assertNotEqual(both.returncode, 0)  # Go durations have no days
        with self.assertRaises(errors.APIException):
            bindings.put_SetClusterMessage(self.session, body=bindings.v1SetClusterMessageRequest(
                message="m" * 251, startTime="2024-01-01T00:00:00Z"))
        plain = self.sdk_as("determined")._session
        with self.assertRaises(errors.ForbiddenException):
            bindings.put_SetClusterMessage(plain, body=bindings.v1SetClusterMessageRequest(
                message="hello", startTime="2024-01-01T00:00:00Z"))
        with self.assertRaises(errors.ForbiddenException):
            bindings.get_GetClusterMessage(plain)


class TestTasksAndLogs(ClientTestCase):
    uses_cli = True

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()

        def add_logged_trial(backend) -> int:
            store = backend.store
            trial_id = store.add_trial(experiment_id=2, hparams={}, task_id="logged-task")
            store.add_logs(task_id="logged-task", allocation_id="logged-task.1", lines=LOG_LINES)
            store.add_logs(task_id="logged-task", allocation_id="logged-task.2",
                           lines=[(1717200004.0, "stdout", "restarted epoch 3")])
            return trial_id

        cls.trial_id = cls.master.call(add_logged_trial)

    def logs(self, **filters) -> list[str]:
        return [log.log for log in api.trial_logs(self.session, self.trial_id, **filters)]

    def test_legacy_tasks_lists_allocations_in_go_json(self) -> None:
        response = self.session.get("tasks")
        summaries = response.json()
        api_view = bindings.get_GetTasks(self.session).allocationIdToSummary or {}
        self.assertEqual(sorted(summaries), sorted(api_view))
        first = next(iter(summaries.values()))
        self.assertEqual(sorted(first), ["allocation_id", "name", "priority", "registered_time",
                                         "resource_pool", "resources", "scheduler_type",
                                         "slots_needed", "task_id"])
        # a running allocation holds its container on the agent (what e2e tests look for)
        (held,) = first["resources"]
        self.assertEqual((held["allocation_id"], list(held["agent_devices"])),
                         (first["allocation_id"], ["standin-agent"]))

    def test_each_filter_is_applied(self) -> None:
        self.assertEqual(len(self.logs()), 5)
        self.assertEqual(self.logs(search_text="EPOCH"),
                         ["epoch 1 loss 0.5", "epoch 2 loss 0.2", "restarted epoch 3"])
        self.assertEqual(self.logs(min_level=bindings.v1LogLevel.ERROR),
                         ["Warning: NaN in batch 7", "Traceback: out of memory"])
        self.assertEqual(self.logs(container_ids=["logged-task.2"]), ["restarted epoch 3"])
        self.assertEqual(self.logs(timestamp_after="2024-06-01T00:00:01Z",
                                   timestamp_before="2024-06-01T00:00:03Z"),
                         ["epoch 2 loss 0.2", "Traceback: out of memory"])
        self.assertEqual(self.logs(agent_ids=["elsewhere"]), [])
        self.assertEqual(self.logs(rank_ids=[3]), [])
        self.assertEqual(len(self.logs(rank_ids=[0], stdtypes=["stdout"])), 3)

    def test_a_trial_that_logged_nothing_has_no_logs(self) -> None:
        # seeded trials outside experiment 1 never ran: nothing stored, nothing served
        seeded = bindings.get_GetExperimentTrials(self.session, experimentId=2).trials[0]
        self.assertEqual([x.log for x in api.trial_logs(self.session, seeded.id)], [])
        self.assertEqual(list(bindings.get_TaskLogs(self.session, taskId=seeded.taskId)), [])

    def test_cli_trial_logs_pass_their_filters(self) -> None:
        out = self.cli.ok("trial", "logs", str(self.trial_id), "--level", "ERROR")
        self.assertIn("Warning: NaN in batch 7", out)
        self.assertIn("Traceback: out of memory", out)
        self.assertNotIn("epoch", out)


if __name__ == "__main__":
    unittest.main()
