"""Workspace and project mutations through the real SDK and ``det`` CLI: edit, archive, pins,
delete with its states, moves of projects and experiments."""
from __future__ import annotations

import itertools
import json
import unittest

from determined.common.api import bindings, errors

from uts.standin.det_cli import ClientTestCase
from uts.standin.support import UNSET_SAVE_COUNTS

_names = itertools.count(1)


class WorkspaceCase(ClientTestCase):
    """Scale 10 (workspace-000/-001 with two projects each); tests make their own fixtures."""

    uses_cli = True

    def fresh_workspace(self) -> str:
        """A new empty workspace (made in the store: creating one is another route's job)."""
        name = f"ws-{self.id().rsplit('.', 1)[-1][:30]}-{next(_names)}"
        self.master.call(lambda backend: backend.store.add_workspace(name=name, user_id=1))
        return name


class TestWorkspaceMutations(WorkspaceCase):
    def test_cli_edit_renames_and_sets_checkpoint_storage_and_pools(self) -> None:
        name = self.fresh_workspace()
        storage = {"type": "shared_fs", "host_path": "/tmp/standin-ws"}
        self.cli.ok("workspace", "edit", name, "--name", name + "-renamed",
                    "--checkpoint-storage-config", json.dumps(storage),
                    "--default-compute-pool", "compute-pool")
        described = json.loads(self.cli.ok("workspace", "describe", name + "-renamed", "--json"))
        # as the master marshals its expconf struct: the type's fields and the save counts
        self.assertEqual(described["checkpointStorageConfig"], {
            **storage, "storage_path": None, "propagation": None, **UNSET_SAVE_COUNTS})
        self.assertEqual(described["defaultComputePool"], "compute-pool")
        bad_pool = self.cli.run("workspace", "edit", name + "-renamed",
                                "--default-aux-pool", "no-such-pool")
        self.assertNotEqual(bad_pool.returncode, 0)
        self.assertIn("resource pool", bad_pool.stderr)
        taken = self.cli.run("workspace", "edit", name + "-renamed", "--name", "workspace-000")
        self.assertNotEqual(taken.returncode, 0)

    def test_s3_storage_keys_are_hidden_and_incomplete_storage_refused(self) -> None:
        workspace_id = self.det.get_workspace(self.fresh_workspace()).id
        storage = {"type": "s3", "bucket": "b", "access_key": "AKIA-secret", "secret_key": "s"}
        shown = bindings.patch_PatchWorkspace(self.session, id=workspace_id, body=bindings.v1PatchWorkspace(
            checkpointStorageConfig=storage)).workspace.checkpointStorageConfig
        self.assertEqual(shown, {**storage, "access_key": "********", "secret_key": "********",
                                 "endpoint_url": None, "prefix": None, **UNSET_SAVE_COUNTS})
        with self.assertRaises(errors.APIException):
            bindings.patch_PatchWorkspace(self.session, id=workspace_id, body=bindings.v1PatchWorkspace(
                checkpointStorageConfig={"type": "shared_fs"}))

    def test_archive_unarchive_and_the_archived_filter(self) -> None:
        name = self.fresh_workspace()
        self.cli.ok("workspace", "archive", name)
        archived = bindings.get_GetWorkspaces(self.session, archived=True).workspaces
        self.assertEqual([w.name for w in archived], [name])
        refused = self.cli.run("project", "create", name, "p1")
        self.assertNotEqual(refused.returncode, 0)  # archived workspaces take no new projects
        self.cli.ok("workspace", "unarchive", name)
        self.assertFalse(bindings.get_GetWorkspaces(self.session, name=name).workspaces[0].archived)
        self.cli.ok("project", "create", name, "p1")
        # the immutable Uncategorized workspace stays as it is, as on the master
        bindings.post_ArchiveWorkspace(self.session, id=1)
        self.assertFalse(bindings.get_GetWorkspace(self.session, id=1).workspace.archived)

    def test_pins_are_per_user(self) -> None:
        name = self.fresh_workspace()
        workspace_id = self.det.get_workspace(name).id
        bindings.post_PinWorkspace(self.session, id=workspace_id)
        pinned = bindings.get_GetWorkspaces(self.session, pinned=True).workspaces
        self.assertIn(name, [w.name for w in pinned])
        self.assertIsNotNone(bindings.get_GetWorkspace(self.session, id=workspace_id)
                             .workspace.pinnedAt)
        seen = bindings.get_GetWorkspace(self.sdk_as("determined")._session,
                                         id=workspace_id).workspace
        self.assertFalse(seen.pinned)
        bindings.post_UnpinWorkspace(self.session, id=workspace_id)
        self.assertNotIn(name, [w.name for w in bindings.get_GetWorkspaces(
            self.session, pinned=True).workspaces])

    def test_list_sorts_by_name_descending(self) -> None:
        listed = json.loads(self.cli.ok("workspace", "list", "--sort-by", "name",
                                        "--order-by", "desc", "--json"))
        names = [w["name"] for w in listed]
        self.assertEqual(names, sorted(names, reverse=True))

    def test_templates_filter_by_workspace_and_order_by_name(self) -> None:
        workspace_id = self.det.get_workspace(self.fresh_workspace()).id
        for name in ("zz-template", "aa-template"):
            bindings.post_PostTemplate(self.session, template_name=name, body=bindings.v1Template(
                name=name, config={"description": name}, workspaceId=workspace_id))
        found = bindings.get_GetTemplates(self.session, workspaceIds=[workspace_id],
                                          orderBy=bindings.v1OrderBy.DESC).templates
        self.assertEqual([t.name for t in found], ["zz-template", "aa-template"])

    def test_delete_an_empty_workspace_through_the_cli(self) -> None:
        name = self.fresh_workspace()
        out = self.cli.ok("workspace", "delete", name, "--yes")
        self.assertIn(f"Successfully deleted workspace {name}", out)
        with self.assertRaises(errors.NotFoundException):
            self.det.get_workspace(name)

    def test_delete_with_projects_and_experiments_is_gone_after_the_call(self) -> None:
        name = self.fresh_workspace()
        workspace = self.det.get_workspace(name)
        project = workspace.create_project("doomed")
        moved = bindings.post_MoveExperiments(
            self.session, projectId=0, body=bindings.v1MoveExperimentsRequest(
                destinationProjectId=project.id, experimentIds=[10], projectId=0))
        self.assertEqual([(r.id, r.error) for r in moved.results], [(10, "")])
        response = bindings.delete_DeleteWorkspace(self.session, id=workspace.id)
        self.assertFalse(response.completed)  # it had projects: the master answers "started"
        with self.assertRaises(errors.NotFoundException):
            bindings.get_GetWorkspace(self.session, id=workspace.id)
        with self.assertRaises(errors.NotFoundException):
            self.det.get_experiment(10).reload()

    def test_delete_refused_while_it_holds_models_or_is_immutable(self) -> None:
        with self.assertRaises(errors.APIException) as caught:
            bindings.delete_DeleteWorkspace(self.session, id=1)  # models live in workspace 1
        self.assertIn("models", str(caught.exception))
        with self.assertRaises(errors.APIException) as immutable:
            bindings.delete_DeleteProject(self.session, id=1)  # Uncategorized
        self.assertIn("project (1) does not exist or not deletable by this user",
                      str(immutable.exception))


class TestWorkspaceDeleteFailure(WorkspaceCase):
    def test_a_live_experiment_leaves_the_workspace_delete_failed(self) -> None:
        name = self.fresh_workspace()
        workspace = self.det.get_workspace(name)
        project = workspace.create_project("busy")

        def make_live(backend) -> None:
            backend.store.db.execute("UPDATE experiments SET project_id = ?, state ="
                                     " 'STATE_ACTIVE' WHERE id = 3", (project.id,))

        self.master.call(make_live)
        bindings.delete_DeleteWorkspace(self.session, id=workspace.id)
        seen = bindings.get_GetWorkspace(self.session, id=workspace.id).workspace
        self.assertEqual(seen.state, bindings.v1WorkspaceState.DELETE_FAILED)
        self.assertIn("not in a terminal state", seen.errorMessage)
        self.assertEqual(self.det.get_experiment(3).project_id, project.id)


class TestProjects(WorkspaceCase):
    def test_cli_create_describe_edit_archive_delete(self) -> None:
        name = self.fresh_workspace()
        created = json.loads(self.cli.ok("project", "create", name, "alpha", "--json"))
        self.assertEqual(created["name"], "alpha")
        listed = json.loads(self.cli.ok("project", "list", name, "--json"))
        self.assertEqual([p["name"] for p in listed], ["alpha"])
        self.cli.ok("project", "edit", name, "alpha", "--description", "first")
        described = json.loads(self.cli.ok("project", "describe", name, "alpha", "--json"))
        self.assertEqual(described["description"], "first")
        self.cli.ok("project", "archive", name, "alpha")
        self.assertTrue(self.det.get_workspace(name).get_project("alpha").archived)
        self.cli.ok("project", "unarchive", name, "alpha")
        out = self.cli.ok("project", "delete", name, "alpha", "--yes")
        self.assertIn("Successfully deleted project alpha", out)
        self.assertEqual(self.det.get_workspace(name).list_projects(), [])

    def test_get_project_by_name_uses_the_name_filter(self) -> None:
        workspace = self.det.get_workspace("workspace-000")
        self.assertEqual(workspace.get_project("project-000-1").name, "project-000-1")
        with self.assertRaises(errors.NotFoundException):
            workspace.get_project("no-such-project")

    def test_move_project_between_workspaces(self) -> None:
        source = self.det.get_workspace(self.fresh_workspace())
        target = self.det.get_workspace(self.fresh_workspace())
        project = source.create_project("traveller")
        bindings.post_MoveProject(self.session, projectId=project.id, body=bindings.v1MoveProjectRequest(
            destinationWorkspaceId=target.id, projectId=project.id))
        self.assertEqual([p.name for p in target.list_projects()], ["traveller"])
        self.assertEqual(source.list_projects(), [])
        with self.assertRaises(errors.APIException):  # never into the immutable Uncategorized
            bindings.post_MoveProject(self.session, projectId=project.id,
                                      body=bindings.v1MoveProjectRequest(
                                          destinationWorkspaceId=1, projectId=project.id))

    def test_move_experiment_through_sdk_and_cli(self) -> None:
        name = self.fresh_workspace()
        workspace = self.det.get_workspace(name)
        workspace.create_project("inbox")
        experiment = self.det.get_experiment(4)
        experiment.move_to_project(name, "inbox")
        experiment.reload()
        inbox = workspace.get_project("inbox")
        self.assertEqual(experiment.project_id, inbox.id)
        self.assertEqual([e.id for e in inbox.list_experiments()], [4])
        self.cli.ok("experiment", "move", "4", "Uncategorized", "Uncategorized")
        self.assertEqual(self.det.get_experiment(4).project_id, 1)

    def test_bulk_move_reports_each_experiment(self) -> None:
        project = self.det.get_workspace(self.fresh_workspace()).create_project("bulk")
        source = self.det.get_experiment(5).project_id
        bindings.post_ArchiveExperiment(self.session, id=6)
        self.addCleanup(bindings.post_UnarchiveExperiment, self.session, id=6)
        response = bindings.post_MoveExperiments(
            self.session, projectId=0, body=bindings.v1MoveExperimentsRequest(
                destinationProjectId=project.id, experimentIds=[5, 6, 999], projectId=0))
        results = {r.id: r.error for r in response.results}
        self.assertEqual(results[5], "")
        self.assertIn("archived", results[6])
        self.assertIn("not found", results[999])
        self.assertEqual(self.det.get_experiment(5).project_id, project.id)
        self.assertNotEqual(source, project.id)


if __name__ == "__main__":
    unittest.main()
