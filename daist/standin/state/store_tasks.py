"""Tasks, allocations, commands/notebooks/shells/tensorboards, pools and agents."""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Callable

from daist.standin.state.cluster_entities import Agent, Allocation, Command, ResourcePool, Task
from daist.standin.common.errors import BadRequest, Internal, NotFound
from daist.standin.common.wire import iso

COMMAND_KINDS = ("command", "notebook", "shell", "tensorboard")
CLUSTER_MESSAGE_MAX = 250  # characters, as the master caps it
_TASK_TYPES = {"command": "TASK_TYPE_COMMAND", "notebook": "TASK_TYPE_NOTEBOOK",
               "shell": "TASK_TYPE_SHELL", "tensorboard": "TASK_TYPE_TENSORBOARD"}


def _json_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _allocation(row: sqlite3.Row) -> Allocation:
    return Allocation(allocation_id=row["allocation_id"], task_id=row["task_id"],
                      task_type=row["task_type"], name=row["name"], state=row["state"],
                      start_time=row["start_time"], end_time=row["end_time"],
                      resource_pool=row["resource_pool"], slots=row["slots"])


class TaskStore:
    db: sqlite3.Connection
    now: Callable[[], float]
    _message_cache: tuple[int, dict[str, Any] | None] | None = None

    # -- allocations -------------------------------------------------------------------------
    def add_allocation(self, *, allocation_id: str, task_id: str, task_type: str, name: str,
                       resource_pool: str, slots: int = 1, state: str = "STATE_RUNNING",
                       experiment_id: int | None = None, workspace_id: int | None = None,
                       user_id: int | None = None) -> None:
        """An allocation starts; who runs it and in which workspace are kept as they are now
        (an experiment's trial: its owner, workspace and id)."""
        if experiment_id is not None:
            workspace_id, user_id = self.db.execute(
                "SELECT p.workspace_id, e.user_id FROM experiments e JOIN projects p"
                " ON p.id = e.project_id WHERE e.id = ?", (experiment_id,)).fetchone()
        workspace = self.db.execute("SELECT name FROM workspaces WHERE id = ?",
                                    (workspace_id,)).fetchone()
        user = self.db.execute("SELECT username FROM users WHERE id = ?", (user_id,)).fetchone()
        self.db.execute(
            "INSERT OR REPLACE INTO allocations (allocation_id, task_id, task_type, name, state,"
            " start_time, resource_pool, slots, username, workspace_name, experiment_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (allocation_id, task_id, task_type, name, state, self.now(), resource_pool, slots,
             "" if user is None else user[0], "" if workspace is None else workspace[0],
             experiment_id))

    def allocations_between(self, start: float, end: float) -> list[sqlite3.Row]:
        """Allocations whose run [start, end or now] meets [start, end], by start time."""
        return self.db.execute(
            "SELECT * FROM allocations WHERE start_time <= ? AND COALESCE(end_time, ?) >= ?"
            " ORDER BY start_time, allocation_id", (end, self.now(), start)).fetchall()

    def end_allocation(self, allocation_id: str) -> None:
        self.db.execute("UPDATE allocations SET state = 'STATE_TERMINATED', end_time = ?"
                        " WHERE allocation_id = ?", (self.now(), allocation_id))

    def allocation_exists(self, allocation_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM allocations WHERE allocation_id = ?",
                               (allocation_id,)).fetchone() is not None

    def active_allocations(self) -> list[Allocation]:
        rows = self.db.execute("SELECT * FROM allocations WHERE state != 'STATE_TERMINATED'"
                               " ORDER BY start_time, allocation_id").fetchall()
        return [_allocation(r) for r in rows]

    def get_task(self, task_id: str) -> Task:
        """A trial's task (allocations of its runs, or one synthesized for seeded trials) or a
        command's task."""
        rows = self.db.execute("SELECT * FROM allocations WHERE task_id = ? ORDER BY start_time",
                               (task_id,)).fetchall()
        allocations = [_allocation(r) for r in rows]
        trial = self.db.execute(
            "SELECT t.id, t.run_id, t.start_time, t.end_time, t.hparams, e.resource_pool, c.config"
            " FROM trials t JOIN experiments e ON e.id = t.experiment_id"
            " JOIN exp_configs c ON c.id = e.config_id WHERE t.task_id = ? OR EXISTS"
            " (SELECT 1 FROM json_each(t.prior_task_ids) WHERE value = ?)",
            (task_id, task_id)).fetchone()
        if trial is not None:
            if not allocations:  # a seeded trial, which ran before the stand-in started
                allocations = [Allocation(
                    allocation_id=f"{task_id}.{trial['run_id']}", task_id=task_id,
                    task_type="TASK_TYPE_TRIAL", name=f"Trial {trial['id']}",
                    state="STATE_TERMINATED", start_time=trial["start_time"],
                    end_time=trial["end_time"], resource_pool=trial["resource_pool"], slots=1)]
            # a task spans its allocations (a continued trial's new task starts later)
            ended = all(a.end_time is not None for a in allocations)
            return Task(task_id=task_id, task_type="TASK_TYPE_TRIAL",
                        start_time=allocations[0].start_time,
                        end_time=max(a.end_time for a in allocations) if ended else None,  # type: ignore[type-var]
                        allocations=allocations, config=trial["config"])
        command = self.get_command(task_id)
        return Task(task_id=task_id, task_type=_TASK_TYPES[command.kind],
                    start_time=command.start_time, end_time=command.end_time,
                    allocations=allocations, config=json.dumps(command.shown_config()))

    def task_counts(self) -> dict[str, int]:
        counts = {f"{kind}s": 0 for kind in COMMAND_KINDS}
        for kind, count in self.db.execute(
                "SELECT kind, COUNT(*) FROM commands WHERE state != 'STATE_TERMINATED'"
                " GROUP BY kind"):
            counts[f"{kind}s"] = count
        return counts

    # -- commands and friends ----------------------------------------------------------------
    def add_command(self, *, command_id: str, kind: str, description: str, workspace_id: int,
                    user_id: int, resource_pool: str, start_time: float,
                    config: dict[str, Any] | None = None, state: str = "STATE_RUNNING") -> None:
        """A command and its allocation; ``config`` is a launched command's (seeded ones
        have none)."""
        self.db.execute("INSERT INTO commands (id, kind, description, workspace_id, user_id, state,"
                        " start_time, resource_pool, config) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (command_id, kind, description, workspace_id, user_id, state, start_time,
                         resource_pool, None if config is None else json.dumps(config)))
        self.add_allocation(allocation_id=f"{command_id}.1", task_id=command_id,
                            task_type=_TASK_TYPES[kind], name=description,
                            resource_pool=resource_pool, state=state,
                            workspace_id=workspace_id, user_id=user_id)

    def set_command_state(self, command_id: str, state: str, *, exit_status: str = "") -> None:
        """A command's (and its allocation's) new state; TERMINATED ends both."""
        ended = state == "STATE_TERMINATED"
        self.db.execute("UPDATE commands SET state = ?, exit_status = ?, end_time = ? WHERE id = ?",
                        (state, exit_status, self.now() if ended else None, command_id))
        if ended:
            self.end_allocation(f"{command_id}.1")
        else:
            self.db.execute("UPDATE allocations SET state = ? WHERE allocation_id = ?",
                            (state, f"{command_id}.1"))

    def _command(self, row: sqlite3.Row) -> Command:
        return Command(id=row["id"], kind=row["kind"], description=row["description"],
                       workspace_id=row["workspace_id"], user_id=row["user_id"],
                       username=row["username"], state=row["state"], start_time=row["start_time"],
                       resource_pool=row["resource_pool"], exit_status=row["exit_status"],
                       end_time=row["end_time"], config=_json_or_none(row["config"]))

    def get_command(self, command_id: str, *, kind: str | None = None) -> Command:
        row = self.db.execute("SELECT c.*, u.username FROM commands c JOIN users u"
                              " ON u.id = c.user_id WHERE c.id = ?", (command_id,)).fetchone()
        if row is None or (kind is not None and row["kind"] != kind):
            raise NotFound(f"{kind or 'task'} '{command_id}' not found")
        return self._command(row)

    def list_commands(self, kind: str, *, workspace_id: int | None = None,
                      user_ids: list[int] | None = None) -> list[Command]:
        """By start time; sortBy/orderBy/users (by name) are not implemented."""
        sql = "SELECT c.*, u.username FROM commands c JOIN users u ON u.id = c.user_id WHERE kind = ?"
        args: list[Any] = [kind]
        if workspace_id:
            sql, args = sql + " AND c.workspace_id = ?", [*args, workspace_id]
        if user_ids:
            sql += f" AND c.user_id IN ({','.join('?' * len(user_ids))})"
            args.extend(user_ids)
        rows = self.db.execute(sql + " ORDER BY c.start_time, c.id", args).fetchall()
        return [self._command(r) for r in rows]

    # -- pools and agents ----------------------------------------------------------------------
    def add_resource_pool(self, *, name: str, description: str, num_agents: int,
                          slots_per_agent: int, default_compute: bool, default_aux: bool,
                          task_container_defaults: dict[str, Any] | None = None) -> None:
        self.db.execute("INSERT INTO resource_pools VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (name, description, num_agents, slots_per_agent, int(default_compute),
                         int(default_aux), json.dumps(task_container_defaults or {})))

    def list_resource_pools(self) -> list[ResourcePool]:
        used = dict(self.db.execute(
            "SELECT resource_pool, SUM(slots) FROM allocations WHERE state != 'STATE_TERMINATED'"
            " GROUP BY resource_pool").fetchall())
        rows = self.db.execute("SELECT * FROM resource_pools ORDER BY rowid").fetchall()
        return [ResourcePool(name=r["name"], description=r["description"],
                             num_agents=r["num_agents"], slots_per_agent=r["slots_per_agent"],
                             slots_used=int(used.get(r["name"]) or 0),
                             default_compute=bool(r["default_compute"]),
                             default_aux=bool(r["default_aux"]),
                             task_container_defaults=json.loads(r["task_container_defaults"]))
                for r in rows]

    def get_resource_pool(self, name: str) -> ResourcePool:
        for pool in self.list_resource_pools():
            if pool.name == name:
                return pool
        raise NotFound(f"resource pool {name!r} not found")

    def task_container_defaults(self, name: str) -> dict[str, Any]:
        """A pool's task container defaults; none for a pool that does not exist."""
        row = self.db.execute("SELECT task_container_defaults FROM resource_pools WHERE name = ?",
                              (name,)).fetchone()
        return {} if row is None else json.loads(row[0])

    def resolve_pool(self, requested: str, slots: int, workspace_id: int) -> str:
        """ResolveResourcePool (agentrm): none asked for is the workspace's default aux pool
        (no slots) or compute pool, else the cluster's ``default``; a named pool must be one
        the workspace may use (400)."""
        name = requested
        if not name:
            row = self.db.execute("SELECT default_compute_pool, default_aux_pool FROM workspaces"
                                  " WHERE id = ?", (workspace_id,)).fetchone()
            name = (row[1] if slots == 0 else row[0]) if row is not None else ""
            if not name:
                return "default"
        if name not in self.pools_available_to(workspace_id):
            raise BadRequest(f"resource pool {name} does not exist or is not available to"
                             f" workspace id {workspace_id}")
        return name

    # -- pool bindings to workspaces (db/postgres_rp_workspace_bindings.go) --------------------
    def _pool_names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM resource_pools ORDER BY name")]

    def _require_pool(self, name: str, message: str) -> None:
        if name not in self._pool_names():
            raise Internal(message.format(name))

    def bind_pool(self, name: str, workspace_ids: list[int]) -> None:
        """AddRPWorkspaceBindings: a binding made twice is the database's unique violation."""
        if not workspace_ids:
            return
        self._require_pool(name, "pool with name {} doesn't exist")
        try:
            self.db.executemany("INSERT INTO rp_workspace_bindings VALUES (?, ?)",
                                [(w, name) for w in workspace_ids])
        except sqlite3.IntegrityError:
            raise Internal('ERROR: duplicate key value violates unique constraint'
                           ' "rp_workspace_bindings_pkey" (SQLSTATE=23505)') from None

    def overwrite_pool_bindings(self, name: str, workspace_ids: list[int]) -> None:
        self._require_pool(name, "pool with name {} doesn't exist")
        self.db.execute("DELETE FROM rp_workspace_bindings WHERE pool_name = ?", (name,))
        self.bind_pool(name, workspace_ids)

    def unbind_pool(self, name: str, workspace_ids: list[int]) -> None:
        """RemoveRPWorkspaceBindings: each workspace must have some binding."""
        if not workspace_ids:
            return
        bound = {r[0] for r in self.db.execute(
            "SELECT workspace_id FROM rp_workspace_bindings WHERE workspace_id IN"
            f" ({','.join('?' * len(workspace_ids))})", workspace_ids)}
        for workspace_id in workspace_ids:
            if workspace_id not in bound:
                raise Internal(f" workspace with id {workspace_id} and pool with name  {name}"
                               " binding doesn't exist")
        self.db.execute("DELETE FROM rp_workspace_bindings WHERE pool_name = ? AND workspace_id"
                        f" IN ({','.join('?' * len(workspace_ids))})", (name, *workspace_ids))

    def workspaces_bound_to(self, name: str) -> list[int]:
        self._require_pool(name, "pool with name {} doesn't exist or is not available")
        return [r[0] for r in self.db.execute(
            "SELECT workspace_id FROM rp_workspace_bindings WHERE pool_name = ? ORDER BY rowid",
            (name,))]

    def unbound_pools(self) -> list[str]:
        bound = {r[0] for r in self.db.execute("SELECT pool_name FROM rp_workspace_bindings")}
        return [name for name in self._pool_names() if name not in bound]

    def pools_available_to(self, workspace_id: int) -> list[str]:
        """ReadRPsAvailableToWorkspace: the pools bound to it, then every unbound pool."""
        bound = [r[0] for r in self.db.execute(
            "SELECT pool_name FROM rp_workspace_bindings WHERE workspace_id = ? ORDER BY rowid",
            (workspace_id,))]
        return bound + self.unbound_pools()

    def add_agent(self, *, agent_id: int, resource_pool: str, slots: int,
                  registered_time: float) -> None:
        self.db.execute("INSERT INTO agents VALUES (?, ?, ?, ?)",
                        (agent_id, resource_pool, slots, registered_time))

    def list_agents(self) -> list[Agent]:
        return [Agent(id=r["id"], resource_pool=r["resource_pool"], slots=r["slots"],
                      registered_time=r["registered_time"])
                for r in self.db.execute("SELECT * FROM agents ORDER BY id").fetchall()]

    # -- the cluster-wide message ------------------------------------------------------------
    def set_cluster_message(self, *, message: str, start: float, end: float | None) -> None:
        """One message at a time: setting replaces (expires) the previous one."""
        if len(message) > CLUSTER_MESSAGE_MAX:
            raise BadRequest(f"invalid input: message must be at most {CLUSTER_MESSAGE_MAX}"
                             f" characters; got {len(message)}")
        if end is not None and end < start:
            raise BadRequest("invalid input, end time must be after start time")
        if end is not None and end < self.now():
            raise BadRequest("invalid input, end time must be after current time")
        self.db.execute("INSERT OR REPLACE INTO cluster_message VALUES (1, ?, ?, ?, ?)",
                        (message, start, end, self.now()))

    def clear_cluster_message(self) -> None:
        now = self.now()
        self.db.execute("UPDATE cluster_message SET end_time = ? WHERE end_time IS NULL"
                        " OR end_time >= ?", (now, now))

    def cluster_message(self, *, active_only: bool) -> dict[str, Any] | None:
        """The unexpired message (``active_only``: and already started), wire-shaped."""
        # GET /api/v1/master shows it on every call: re-read only after some write happened
        changes = self.db.total_changes
        if self._message_cache is None or self._message_cache[0] != changes:
            found = self.db.execute("SELECT * FROM cluster_message").fetchone()
            self._message_cache = (changes, None if found is None else dict(found))
        row = self._message_cache[1]
        if row is None:
            return None
        now = self.now()
        if row["end_time"] is not None and row["end_time"] <= now:
            return None
        if active_only and row["start_time"] >= now:
            return None
        return {"message": row["message"], "startTime": iso(row["start_time"]),
                "endTime": iso(row["end_time"]), "createdTime": iso(row["created_time"])}
