"""Deterministic seed data: the same ``(scale, seed)`` always gives the same rows and ids.

``scale`` is the number of experiments (0, or 10 to 100,000); every other kind grows with it.
Scale 0 is an empty cluster, as a fresh master has it: users ``admin`` and ``determined``,
the Uncategorized workspace and project, the resource pools and agents, nothing else.
Otherwise:

* users ``admin`` (id 1, admin, ClusterAdmin as on every master) and ``determined`` (id 2),
  plus ``user-NNN`` (max(3, N/1000)); user groups ``group-0`` (all) and ``group-1`` (every
  other user, Viewer cluster-wide);
* workspace 1 "Uncategorized" with project 1 "Uncategorized" (both immutable), plus
  ``workspace-N`` workspaces (max(2, N/500)) with two projects and one note each;
* N experiments (ids 1..N, experiment 1 is COMPLETED; about 80% COMPLETED, the rest
  CANCELED or ERROR), each with 1-3 trials (experiment 1's with three stored log lines
  each; other seeded trials logged nothing); every trial has training reports at steps
  100..400 (``loss``, ``accuracy``) and validation reports at 200 and 400 (``validation_loss``,
  ``accuracy``); every COMPLETED trial has one checkpoint (its ``bestCheckpoint``);
* one shared model definition with ``data/``, ``data/sample.csv``, ``const.yaml`` and
  ``model_def.py`` (so the file tree's last top-level file is ``model_def.py``);
* models ``model-NNNN`` (max(3, N/20)) with versions 1..k (k in 1-3) on completed checkpoints;
* templates ``template-NN`` (3 + N/1000), webhooks (2 + N/2000, scoped to workspace-000,
  firing on COMPLETED to a closed loopback port), resource pools ``default``
  and ``compute-pool``, agents (max(1, N/2000), 8 slots each), and running commands, a
  notebook, a shell and a tensorboard whose allocations ``GET /api/v1/tasks`` lists, each
  with two stored log lines.

Bulk inserts go straight to the store's connection in one transaction (the per-row store
methods would make scale 100,000 take minutes).
"""
from __future__ import annotations

import base64
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from daist.standin.state.store import StandinStore
from daist.standin.state.summary import fold
from daist.standin.trials.trialenv import DIR_TYPE, FILE_TYPE
from daist.standin.common.wire import EPOCH_2024

EMPTY_SCALE, MIN_SCALE, MAX_SCALE = 0, 10, 100_000


def scale_error(scale: int) -> str | None:
    """Why ``scale`` cannot be seeded, or None."""
    if scale == EMPTY_SCALE or MIN_SCALE <= scale <= MAX_SCALE:
        return None
    return (f"scale must be between {MIN_SCALE} and {MAX_SCALE}, or {EMPTY_SCALE} (an empty"
            f" cluster), not {scale}")

MODEL_FILES = {
    "const.yaml": "name: seeded\nentrypoint: python3 model_def.py\nsearcher:\n  name: single\n",
    "model_def.py": "print('seeded model definition: nothing to train')\n",
    "data/sample.csv": "x,y\n1,2\n3,4\n",
}


@dataclass(frozen=True)
class SeedSpec:
    scale: int = 10
    seed: int = 0
    passwords: tuple[tuple[str, str], ...] = ()


def seed_usernames(scale: int) -> list[str]:
    if scale == EMPTY_SCALE:
        return ["admin", "determined"]
    return ["admin", "determined"] + [f"user-{i:03d}" for i in range(max(3, scale // 1000))]


def _file_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [{"path": "data", "type": DIR_TYPE, "content": "",
                                      "mtime": "1704067200", "mode": 0o755, "uid": 0, "gid": 0}]
    for path in ("data/sample.csv", "const.yaml", "model_def.py"):
        entries.append({"path": path, "type": FILE_TYPE, "mode": 0o644, "uid": 0, "gid": 0,
                        "mtime": "1704067200",
                        "content": base64.b64encode(MODEL_FILES[path].encode()).decode()})
    return entries


def _config(variant: int) -> dict[str, Any]:
    return {
        "name": "seeded", "description": "", "labels": [], "entrypoint": "python3 model_def.py",
        "hyperparameters": {
            "learning_rate": {"type": "double", "minval": 0.0001, "maxval": 0.1},
            "global_batch_size": {"type": "int", "minval": 16, "maxval": 128},
            "layers": {"type": "categorical", "vals": [1, 2, 4]},
        },
        "searcher": {"name": ("grid", "random", "single", "adaptive_asha")[variant],
                     "metric": "validation_loss", "smaller_is_better": True, "max_trials": 3,
                     "max_concurrent_trials": 16},
        "resources": {"slots_per_trial": 1, "resource_pool": "default"},
        "max_restarts": 0, "data": {}, "environment": {"environment_variables": {
            "cpu": [], "cuda": [], "rocm": []}},
        "checkpoint_storage": {"type": "directory", "container_path": "/tmp/seeded"},
    }


def seed_store(store: StandinStore, spec: SeedSpec) -> None:
    """Reset ``store`` and fill it with the data ``spec`` describes."""
    problem = scale_error(spec.scale)
    if problem:
        raise ValueError(problem)
    store.reset()
    with store.transaction() as db:
        _Seeder(db, spec).run()
    passwords = dict(spec.passwords)
    for username, password in passwords.items():
        user = store.get_user_by_name(username)
        store.set_password(user.id, password=password)
    if passwords:  # a password was set: no other account may keep the empty one
        store.lock_users_except(passwords)


class _Seeder:
    def __init__(self, db: Any, spec: SeedSpec) -> None:
        self.db = db
        self.n = spec.scale
        self.rng = random.Random(spec.seed)
        self.t0 = EPOCH_2024

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def run(self) -> None:
        users = self.users()
        if self.n == EMPTY_SCALE:
            self.default_org()
            self.pools()
            return
        self.groups(users)
        projects = self.org(users)
        checkpoints = self.experiments(users, projects)
        self.registry(users, checkpoints)
        self.infrastructure(users)

    def users(self) -> list[int]:
        names = seed_usernames(self.n)
        self.db.executemany(
            "INSERT INTO users (id, username, display_name, admin, active, password_hash,"
            " modified_at) VALUES (?, ?, ?, ?, 1, '', ?)",
            [(i + 1, name, name.title(), int(name == "admin"), self.t0)
             for i, name in enumerate(names)])
        # the master's migrations make user 1 (admin) ClusterAdmin at cluster scope
        self.db.execute("INSERT INTO role_assignments (role_id, user_id) VALUES (1, 1)")
        return list(range(1, len(names) + 1))

    def groups(self, users: list[int]) -> None:
        """User groups ``group-0`` (every user) and ``group-1`` (every other user), the
        second with Viewer at cluster scope."""
        self.db.executemany("INSERT INTO user_groups (id, name) VALUES (?, ?)",
                            [(1, "group-0"), (2, "group-1")])
        self.db.executemany("INSERT INTO group_members VALUES (?, ?)",
                            [(1, u) for u in users] + [(2, u) for u in users[::2]])
        self.db.execute("INSERT INTO role_assignments (role_id, group_id) VALUES (4, 2)")

    def default_org(self) -> None:
        """What every master has: the immutable Uncategorized workspace and project."""
        self.db.execute("INSERT INTO workspaces (id, name, user_id, immutable) VALUES"
                        " (1, 'Uncategorized', 1, 1)")
        self.db.execute("INSERT INTO projects (id, workspace_id, name, key, user_id, immutable)"
                        " VALUES (1, 1, 'Uncategorized', 'UNCAT', 1, 1)")

    def org(self, users: list[int]) -> list[int]:
        count = max(2, self.n // 500)
        self.default_org()
        workspaces, projects, notes = [], [], []
        for w in range(count):
            wid = w + 2
            workspaces.append((wid, f"workspace-{w:03d}", users[w % len(users)]))
            for p in range(2):
                pid = 2 + 2 * w + p
                projects.append((pid, wid, f"project-{w:03d}-{p}", f"P{w:03d}{p}",
                                 f"seeded project {p} of workspace {w}", users[(w + p) % len(users)]))
                notes.append((pid, "Notes", f"Seeded notes of project {pid}."))
        self.db.executemany("INSERT INTO workspaces (id, name, user_id) VALUES (?, ?, ?)",
                            workspaces)
        # workspace-000 is pinned by the two default users (pins are per user)
        self.db.executemany("INSERT INTO workspace_pins VALUES (2, ?, ?)",
                            [(user, self.t0) for user in users[:2]])
        self.db.executemany("INSERT INTO projects (id, workspace_id, name, key, description, user_id)"
                            " VALUES (?, ?, ?, ?, ?, ?)", projects)
        self.db.executemany("INSERT INTO notes (project_id, name, contents) VALUES (?, ?, ?)", notes)
        return [1] + [p[0] for p in projects]

    def experiments(self, users: list[int], projects: list[int]) -> list[str]:
        files = _file_entries()
        self.db.execute("INSERT INTO model_defs (id, files, size) VALUES (1, ?, ?)",
                        (json.dumps(files), sum(len(f["content"]) for f in files)))
        for variant in range(4):
            config = _config(variant)
            self.db.execute("INSERT INTO exp_configs (id, config, original) VALUES (?, ?, ?)",
                            (variant + 1, json.dumps(config), json.dumps(config)))
        exps, trials, metrics, ckpts = [], [], [], []
        logs: list[tuple[Any, ...]] = []
        completed: list[str] = []
        trial_id = metric_id = 0
        rng = self.rng
        for e in range(1, self.n + 1):
            state = ("STATE_CANCELED" if e % 10 == 8 else "STATE_ERROR" if e % 10 == 9
                     else "STATE_COMPLETED")
            start = self.t0 + e * 600.0
            variant = e % 4
            labels = json.dumps(["seeded", f"group-{e % 5}"] if e % 3 == 0 else [])
            exps.append((e, projects[e % len(projects)], users[e % len(users)], variant + 1, 1,
                         f"seeded-experiment-{e:06d}", f"seeded experiment {e}", labels, state,
                         1.0 if state == "STATE_COMPLETED" else 0.5, start, start + 300.0,
                         _config(variant)["searcher"]["name"], "validation_loss", "default"))
            for t in range(1 + e % 3):
                trial_id += 1
                hparams = {"learning_rate": round(0.1 / (1 + t + e % 7), 6),
                           "global_batch_size": 16 * (1 + (e + t) % 8), "layers": (1, 2, 4)[t % 3]}
                reports = 4 if state == "STATE_COMPLETED" else 2
                summary: dict[str, Any] = {}
                val_ids: list[tuple[int, float]] = []
                for step in range(1, reports + 1):
                    metric_id += 1
                    loss = round(1.0 / (step + rng.random()), 6)
                    values = {"loss": loss, "accuracy": round(1 - loss / 2, 6)}
                    fold(summary, "training", values)
                    metrics.append((metric_id, trial_id, 1, "training", step * 100,
                                    json.dumps(values), start + step * 60.0))
                    if step % 2 == 0:
                        metric_id += 1
                        values = {"validation_loss": round(loss * 1.1, 6),
                                  "accuracy": round(1 - loss / 1.8, 6)}
                        fold(summary, "validation", values)
                        metrics.append((metric_id, trial_id, 1, "validation", step * 100,
                                        json.dumps(values), start + step * 60.0 + 1))
                        val_ids.append((metric_id, values["validation_loss"]))
                best_val = min(val_ids, key=lambda x: x[1])[0] if val_ids else None
                ckpt = None
                if state == "STATE_COMPLETED":
                    ckpt = self.uuid()
                    completed.append(ckpt)
                    task_id = f"{e}.{self.uuid()}"
                    ckpts.append((ckpt, trial_id, task_id, f"{task_id}.1", reports * 100,
                                  start + 250.0 + t, "STATE_COMPLETED",
                                  json.dumps({"state_dict.pth": "1048576", "metadata.json": "256"}),
                                  json.dumps({"steps_completed": reports * 100, "framework": "none"}),
                                  1048832))
                else:
                    task_id = f"{e}.{self.uuid()}"
                trials.append((trial_id, e, json.dumps(hparams), state, start, start + 290.0,
                               reports * 100, task_id, json.dumps(summary),
                               val_ids[-1][0] if val_ids else None, best_val, ckpt,
                               reports / 4))
                if e == 1:  # the anchor experiment's trials also have stored logs
                    logs.extend((task_id, f"{task_id}.1", start + i, "stdout", "LOG_LEVEL_INFO",
                                 text) for i, text in enumerate((
                                     f"seeded trial {trial_id} starting",
                                     f"hparams: {json.dumps(hparams, sort_keys=True)}",
                                     f"trial {trial_id} finished in state {state}")))
        self.db.executemany(
            "INSERT INTO experiments (id, project_id, user_id, config_id, model_def_id, name,"
            " description, labels, state, progress, start_time, end_time, searcher_type,"
            " searcher_metric, resource_pool) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            exps)
        self.db.executemany(
            "INSERT INTO trials (id, experiment_id, hparams, state, start_time, end_time,"
            " total_batches, task_id, summary, latest_val_id, best_val_id, best_ckpt, progress,"
            " seeded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", trials)
        self.db.executemany(
            "INSERT INTO metrics (id, trial_id, trial_run_id, grp, steps, vals, report_time)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", metrics)
        self.db.executemany(
            "INSERT INTO task_logs (task_id, allocation_id, timestamp, stdtype, level, log)"
            " VALUES (?, ?, ?, ?, ?, ?)", logs)
        self.db.executemany(
            "INSERT INTO checkpoints (uuid, trial_id, task_id, allocation_id, steps, report_time,"
            " state, resources, metadata, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ckpts)
        return completed

    def registry(self, users: list[int], checkpoints: list[str]) -> None:
        models, versions = [], []
        for m in range(1, max(3, self.n // 20) + 1):
            created = self.t0 + m * 3600.0
            models.append((m, f"model-{m:04d}", 1, users[m % len(users)], f"seeded model {m}",
                           json.dumps(["seeded", f"family-{m % 4}"]),
                           json.dumps({"owner": "daist"}), created, created))
            for v in range(1, 2 + m % 3):
                versions.append((m, v, checkpoints[(m * 3 + v) % len(checkpoints)],
                                 f"v{v}", users[m % len(users)], created + v, created + v))
        self.db.executemany(
            "INSERT INTO models (id, name, workspace_id, user_id, description, labels, metadata,"
            " creation_time, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", models)
        self.db.executemany(
            "INSERT INTO model_versions (model_id, version, checkpoint_uuid, name, user_id,"
            " creation_time, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?)", versions)

    def infrastructure(self, users: list[int]) -> None:
        templates = [(f"template-{t:02d}", 1, json.dumps(
            {"description": f"seeded template {t}", "resources": {"slots_per_trial": 1 + t % 2},
             "environment": {"environment_variables": [f"TEMPLATE={t}"]}}))
            for t in range(3 + self.n // 1000)]
        self.db.executemany("INSERT INTO templates VALUES (?, ?, ?)", templates)
        hooks = [(f"webhook-{h:02d}", f"http://127.0.0.1:9/hook/{h}",
                  "WEBHOOK_MODE_WORKSPACE", "WEBHOOK_TYPE_DEFAULT" if h % 2 else "WEBHOOK_TYPE_SLACK",
                  json.dumps([{"id": 1, "triggerType": "TRIGGER_TYPE_EXPERIMENT_STATE_CHANGE",
                               "condition": {"state": "COMPLETED"}}]))
                 for h in range(2 + self.n // 2000)]
        # scoped to workspace-000, so experiments run elsewhere trigger none of them
        self.db.executemany("INSERT INTO webhooks (name, url, mode, webhook_type, triggers,"
                            " workspace_id) VALUES (?, ?, ?, ?, ?, 2)", hooks)
        self.pools()
        kinds = ["command", "command", "notebook", "shell", "tensorboard"]
        kinds += ["command"] * (self.n // 10_000)
        for i, kind in enumerate(kinds):
            task_id = self.uuid()
            start = self.t0 + i * 60.0
            self.db.execute("INSERT INTO commands (id, kind, description, workspace_id, user_id,"
                            " state, start_time, resource_pool) VALUES (?, ?, ?, 1, ?,"
                            " 'STATE_RUNNING', ?, 'default')", (task_id, kind, f"seeded {kind} {i}",
                                            users[i % len(users)], start))
            self.db.execute(
                "INSERT INTO allocations (allocation_id, task_id, task_type, name, state,"
                " start_time, resource_pool, slots) VALUES (?, ?, ?, ?, 'STATE_RUNNING', ?,"
                " 'default', 1)", (f"{task_id}.1", task_id, f"TASK_TYPE_{kind.upper()}",
                                   f"seeded {kind} {i}", start))
            self.db.executemany(
                "INSERT INTO task_logs (task_id, allocation_id, timestamp, stdtype, level, log)"
                " VALUES (?, ?, ?, 'stdout', 'LOG_LEVEL_INFO', ?)",
                [(task_id, f"{task_id}.1", start, f"seeded {kind} {i} starting"),
                 (task_id, f"{task_id}.1", start + 1, f"seeded {kind} {i} is running")])

    def pools(self) -> None:
        """The simulated hardware: pools ``default`` and ``compute-pool`` and their agents."""
        agents = max(1, self.n // 2000)
        # each pool's task container defaults name it, as an operator's pool config may
        self.db.executemany(
            "INSERT INTO resource_pools VALUES (?, ?, ?, 8, ?, ?, ?)",
            [(name, f"{label} pool (stand-in)", count, int(default), int(default),
              json.dumps({"environment_variables": [f"STANDIN_POOL={name}"]}))
             for name, label, count, default in (("default", "default", agents, True),
                                                 ("compute-pool", "compute", 1, False))])
        self.db.executemany("INSERT INTO agents VALUES (?, ?, 8, ?)",
                            [(a, "default" if a < agents else "compute-pool", self.t0)
                             for a in range(agents + 1)])
