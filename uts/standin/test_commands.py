"""Commands run as local processes, as on a master with an agent: launched through the real
``det cmd run`` and SDK bindings, listed, read, logged and killed."""
from __future__ import annotations

import json
from typing import Any, Callable

from determined.common.api import bindings, errors

from uts.standin.det_cli import ClientTestCase
from uts.standin.support import wait_until

DEADLINE_S = 60


class TestCommands(ClientTestCase):
    uses_cli = True

    def wait_for(self, what: str, check: Callable[[], Any]) -> Any:
        return wait_until(what, check, DEADLINE_S)

    def command(self, command_id: str) -> bindings.v1Command:
        return bindings.get_GetCommand(self.session, commandId=command_id).command

    def terminated(self, command_id: str) -> bindings.v1Command:
        return self.wait_for("terminated command", lambda: (
            self.command(command_id) if self.command(command_id).state.value == "STATE_TERMINATED"
            else None))

    def logs(self, command_id: str) -> list[str]:
        return [log.log or "" for log in bindings.get_TaskLogs(self.session, taskId=command_id)]

    def test_det_cmd_run_prints_the_output_of_a_shell_line(self) -> None:
        out = self.cli.ok("cmd", "run", "echo hello-$((6*7)) && echo to-stderr >&2")
        self.assertIn("hello-42", out)
        self.assertIn("to-stderr", out)

    def test_launch_in_a_workspace_with_no_entrypoint_ends_successfully(self) -> None:
        workspace = bindings.post_PostWorkspace(self.session, body=bindings.v1PostWorkspaceRequest(
            name="commands-ws")).workspace
        launched = bindings.post_LaunchCommand(self.session, body=bindings.v1LaunchCommandRequest(
            workspaceId=workspace.id))
        self.assertEqual(launched.command.workspaceId, workspace.id)
        self.assertTrue(launched.command.description.startswith("Command ("))
        ended = self.terminated(launched.command.id)
        self.assertEqual((ended.workspaceId, ended.exitStatus),
                         (workspace.id, "allocation exited successfully"))
        listed = bindings.get_GetCommands(self.session, workspaceId=workspace.id).commands
        self.assertEqual([c.id for c in listed], [launched.command.id])
        with self.assertRaises(errors.NotFoundException):
            bindings.post_LaunchCommand(self.session, body=bindings.v1LaunchCommandRequest(
                workspaceId=99999))

    def test_a_failing_command_says_its_exit_code_and_its_environment_is_a_tasks(self) -> None:
        launched = bindings.post_LaunchCommand(self.session, body=bindings.v1LaunchCommandRequest(
            config={"entrypoint": ["/bin/sh", "-c", 'echo "$DET_TASK_TYPE $MINE"; exit 3'],
                    "environment": {"environment_variables": ["MINE=mine"]}}))
        self.assertEqual(launched.config["entrypoint"][0], "/run/determined/command-entrypoint.sh")
        ended = self.terminated(launched.command.id)
        self.assertIn("non-zero exit code", ended.exitStatus)
        self.assertIn("(exit code 3)", ended.exitStatus)
        self.assertIn("COMMAND mine", self.logs(launched.command.id))

    def test_kill_ends_a_running_command(self) -> None:
        launched = bindings.post_LaunchCommand(self.session, body=bindings.v1LaunchCommandRequest(
            config={"entrypoint": "echo started; sleep 600"}))
        command_id = launched.command.id
        self.wait_for("first log line", lambda: "started" in self.logs(command_id))
        self.cli.ok("cmd", "kill", command_id)
        ended = self.terminated(command_id)
        self.assertEqual(ended.exitStatus, "allocation exited successfully")
        self.assertTrue(any("was terminated: allocation killed" in line
                            for line in self.logs(command_id)))
        shown = json.loads(self.cli.ok("cmd", "list", "--json"))
        self.assertIn(command_id, {c["id"] for c in shown})

    def test_deleting_a_workspace_kills_its_running_commands(self) -> None:
        workspace = bindings.post_PostWorkspace(self.session, body=bindings.v1PostWorkspaceRequest(
            name="doomed-ws")).workspace
        launched = bindings.post_LaunchCommand(self.session, body=bindings.v1LaunchCommandRequest(
            workspaceId=workspace.id, config={"entrypoint": "echo up; sleep 600"}))
        command_id = launched.command.id
        self.wait_for("first log line", lambda: "up" in self.logs(command_id))
        self.assertTrue(bindings.delete_DeleteWorkspace(self.session, id=workspace.id).completed)
        self.assertFalse(self.master.call(lambda backend: backend.commands.is_running(command_id)))
        with self.assertRaises(errors.NotFoundException):
            bindings.get_GetWorkspace(self.session, id=workspace.id)
