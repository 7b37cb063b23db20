"""What a trial process gets: its working directory, its info files and its environment.

Mirrors a real Determined task container closely enough for ``det.core.init()``: the four
files ``det.get_cluster_info()`` reads (delivered per trial by the sitecustomize bootstrap in
``bootstrap/``), the DET_* variables ``_from_env`` and ``login_from_task`` read, and the venv's
interpreter first on PATH so ``python3`` can import ``determined``.

Like a task container, a trial starts from a minimal environment: the cluster's DET_*
variables, the config's ``environment_variables`` and a few host basics (``HOST_BASICS``),
never the rest of the stand-in's environment (the harness's DET_PASSWORD,
PERF_RESULT_DB_PASS, PGPASSWORD, cloud credentials...).
"""
from __future__ import annotations

import base64
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from daist.standin.common.confine import inside
from daist.standin.common.errors import BadRequest

BOOTSTRAP_DIR = Path(__file__).resolve().parent / "bootstrap"
HOST_BASICS = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_ALL",
               "LC_CTYPE", "TZ", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
"""What a trial keeps of the stand-in's own environment (a container image sets as much)."""
FILE_TYPE, DIR_TYPE = ord("0"), ord("5")


@dataclass(frozen=True)
class TrialLaunch:
    trial_id: int
    experiment_id: int
    run_id: int
    task_id: str
    hparams: dict[str, Any]
    config: dict[str, Any]
    trial_seed: int
    steps_completed: int
    username: str
    session_token: str
    user_token: str
    master_url: str
    cluster_id: str
    latest_checkpoint: str | None = None

    @property
    def allocation_id(self) -> str:
        return f"{self.task_id}.{self.run_id}"


def _safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise BadRequest(f"model definition path {path!r} escapes the model directory")
    return rel


def check_model_files(files: Any) -> list[dict[str, Any]]:
    """Validate ``modelDefinition`` (a list of v1File) before anything is stored."""
    if files is None:
        return []
    if not isinstance(files, list):
        raise BadRequest("modelDefinition must be a list of files")
    for item in files:
        if not isinstance(item, dict) or "path" not in item:
            raise BadRequest("every modelDefinition entry needs a path")
        _safe_relative(str(item["path"]))
        if item.get("type") == FILE_TYPE:
            try:
                base64.b64decode(item.get("content") or "", validate=True)
            except ValueError:
                raise BadRequest(f"content of {item['path']!r} is not base64") from None
    return files


def unpack_model(files: list[dict[str, Any]], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for item in files:
        target = inside(dest, _safe_relative(str(item["path"])))
        if item.get("type") == DIR_TYPE:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(item.get("content") or ""))
        mode = int(item.get("mode") or 0o644) & 0o777
        os.chmod(target, mode | 0o400)


def write_info(launch: TrialLaunch, info_dir: Path) -> None:
    info_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "cluster.json": {
            "master_url": launch.master_url, "cluster_id": launch.cluster_id,
            "agent_id": "standin-agent", "slot_ids": [0], "task_id": launch.task_id,
            "allocation_id": launch.allocation_id, "session_token": launch.session_token,
            "task_type": "TRIAL", "master_cert_name": None, "master_cert_file": None,
            "latest_checkpoint": launch.latest_checkpoint,
        },
        "trial.json": {
            "trial_id": launch.trial_id, "experiment_id": launch.experiment_id,
            "trial_seed": launch.trial_seed, "hparams": launch.hparams, "config": launch.config,
            "steps_completed": launch.steps_completed, "trial_run_id": launch.run_id,
            "debug": bool(launch.config.get("debug", False)),
            "inter_node_network_interface": None,
        },
        "rendezvous.json": {"container_addrs": ["127.0.0.1"], "container_rank": 0,
                            "container_slot_counts": [1]},
        "resources.json": {"gpu_uuids": []},
    }
    for name, content in files.items():
        (info_dir / name).write_text(json.dumps(content))


def host_basics(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    return {key: environ[key] for key in HOST_BASICS if key in environ}


def task_base_environment(info_dir: Path, *, extra: dict[str, str] | None = None,
                          base: dict[str, str] | None = None) -> dict[str, str]:
    """What every task process of ours starts from: ``base`` (default: ``host_basics`` of
    this process), ``extra``, the venv first on PATH and the bootstrap on PYTHONPATH."""
    env = dict(host_basics(os.environ) if base is None else base)
    env.update(extra or {})
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", "/usr/bin:/bin")])
    python_path = [str(BOOTSTRAP_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(python_path)
    env.update({"DET_STANDIN_INFO_DIR": str(info_dir), "DAIST_STANDIN_PID": str(os.getpid()),
                "PYTHONUNBUFFERED": "1"})
    return env


def trial_environment(launch: TrialLaunch, *, info_dir: Path, extra: dict[str, str],
                      base: dict[str, str] | None = None) -> dict[str, str]:
    """The trial's environment: ``base`` (default: ``host_basics`` of this process), the
    config's variables, then the cluster's, which a config cannot override."""
    env = task_base_environment(info_dir, extra=extra, base=base)
    env.update({
        "DET_MASTER": launch.master_url,
        "DET_MASTER_ADDR": launch.master_url,
        "DET_CLUSTER_ID": launch.cluster_id,
        "DET_AGENT_ID": "standin-agent",
        "DET_SLOT_IDS": "[0]",
        "DET_TASK_ID": launch.task_id,
        "DET_ALLOCATION_ID": launch.allocation_id,
        "DET_SESSION_TOKEN": launch.session_token,
        "DET_USER_TOKEN": launch.user_token,
        "DET_USER": launch.username,
        "DET_TASK_TYPE": "TRIAL",
        "DET_TRIAL_ID": str(launch.trial_id),
        "DET_EXPERIMENT_ID": str(launch.experiment_id),
        "DET_TRIAL_SEED": str(launch.trial_seed),
        "DET_HPARAMS": json.dumps(launch.hparams),
        "DET_EXPERIMENT_CONFIG": json.dumps(launch.config),
        "DET_STEPS_COMPLETED": str(launch.steps_completed),
        "DET_TRIAL_RUN_ID": str(launch.run_id),
        "DET_RESOURCES_ID": launch.allocation_id,
        "DET_RESOURCES_TYPE": "docker",
        "DET_CONTAINER_ID": launch.allocation_id,
    })
    if launch.latest_checkpoint:
        env["DET_LATEST_CHECKPOINT"] = launch.latest_checkpoint
    return env
