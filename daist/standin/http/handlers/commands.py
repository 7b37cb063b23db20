"""Handlers: launching and killing commands (``det cmd run``, ``POST /api/v1/commands``).

As LaunchCommand (api_command.go): the workspace (default 1) must exist; a template's config
goes under the request's; the resource pool is resolved as for any task (the workspace's
defaults, then the cluster's, and it must be available to the workspace); the pool's task
container defaults go under the environment; a missing description becomes "Command (three
words)"; the stored entrypoint starts with the task container's command-entrypoint.sh. The
command then runs as a local process (``trials/commands.py``). Notebooks, shells and
tensorboards need a container and a proxy, which the stand-in does not have.
"""
from __future__ import annotations

import random
import uuid
from typing import Any

from aiohttp import web

from daist.standin.backend import Backend
from daist.standin.common.errors import BadRequest, Unimplemented
from daist.standin.http.auth import USER
from daist.standin.http.reqs import body_object
from daist.standin.state.expconf import merge, with_pool_defaults
from daist.standin.trials.trialenv import check_model_files

Json = dict[str, Any]
COMMAND_ENTRYPOINT = "/run/determined/command-entrypoint.sh"
_ADVERBS = ("amazingly", "briefly", "calmly", "deeply", "eagerly", "freely", "gently",
            "happily", "kindly", "lively", "merely", "neatly", "openly", "quietly", "rarely")
_ADJECTIVES = ("able", "bold", "clear", "daring", "exact", "fair", "glad", "handy", "ideal",
               "jolly", "keen", "lucid", "mellow", "noble", "proud", "quick", "ready", "sure")
_NAMES = ("ant", "bee", "cat", "doe", "eel", "fox", "gnu", "hen", "ibis", "jay", "kit", "lark",
          "mole", "newt", "owl", "pug", "quail", "ram", "seal", "toad", "vole", "wren", "yak")


def _pet_name(rng: random.Random) -> str:
    """A petname of TaskNameGeneratorWords (3) words, as the master names tasks."""
    return "-".join(rng.choice(words) for words in (_ADVERBS, _ADJECTIVES, _NAMES))


def _environment(config: Json) -> Json:
    env = config.get("environment") or {}
    if not isinstance(env, dict):
        raise BadRequest("environment must be an object")
    variables = env.get("environment_variables") or []
    if isinstance(variables, list):
        variables = {kind: [str(v) for v in variables] for kind in ("cpu", "cuda", "rocm")}
    elif isinstance(variables, dict):
        variables = {kind: [str(v) for v in variables.get(kind) or []]
                     for kind in ("cpu", "cuda", "rocm")}
    else:
        raise BadRequest("environment.environment_variables must be a list or an object")
    return {**env, "environment_variables": variables}


async def launch_command(backend: Backend, request: web.Request) -> Json:
    data = await body_object(request)
    store, user = backend.store, request[USER]
    workspace_id = int(data.get("workspaceId") or 1)
    workspace = store.get_workspace(workspace_id)
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise BadRequest("config must be an object")
    if data.get("templateName"):
        config = merge(store.get_template(str(data["templateName"])).config, config)
    files = check_model_files(data.get("files"))
    resources = dict(config.get("resources") or {})
    slots = int(resources.get("slots", 1) or 0)
    if slots < 0:
        raise BadRequest("invalid command config: resources.slots must be >= 0")
    resources["slots"] = slots
    resources["resource_pool"] = store.resolve_pool(
        str(resources.get("resource_pool") or ""), slots, workspace.id)
    entrypoint = config.get("entrypoint") or []
    entrypoint = [entrypoint] if isinstance(entrypoint, str) else [str(a) for a in entrypoint]
    config = {**config, "resources": resources, "environment": _environment(config),
              "entrypoint": [COMMAND_ENTRYPOINT, *entrypoint],
              "description": config.get("description")
              or f"Command ({_pet_name(random.Random())})"}
    config = with_pool_defaults(config, store.task_container_defaults(resources["resource_pool"]))
    command_id = str(uuid.uuid4())
    store.add_command(command_id=command_id, kind="command", description=config["description"],
                      workspace_id=workspace.id, user_id=user.id,
                      resource_pool=resources["resource_pool"], start_time=store.now(),
                      config=config, state="STATE_QUEUED")
    backend.commands.launch(command_id, config={**config, "entrypoint": entrypoint},
                            files=files, user_id=user.id)
    return {"command": store.get_command(command_id).to_dict(), "config": config,
            "warnings": []}


async def kill_command(backend: Backend, request: web.Request, commandId: str) -> Json:
    """Anyone may (the basic NSC authz); a seeded command, which has no process, just ends."""
    store = backend.store
    command = store.get_command(commandId, kind="command")
    if backend.commands.is_running(command.id):
        await backend.commands.kill(command.id)
    elif command.state != "STATE_TERMINATED":
        store.set_command_state(command.id, "STATE_TERMINATED",
                                exit_status="allocation exited successfully")
    return {"command": store.get_command(command.id).to_dict()}


async def needs_containers(backend: Backend, request: web.Request, **_: str) -> Json:
    """Notebooks, shells and tensorboards: a clear 501 (UNIMPLEMENTED)."""
    raise Unimplemented(f"method not yet available: {request.method} {request.path} is not"
                        " supported by the stand-in (it has no task containers or proxy)")
