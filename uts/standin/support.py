"""Shared helpers for the stand-in tests: a bindings index, isolated SDK config, seed ids."""
from __future__ import annotations

import ast
import contextlib
import functools
import io
import os
import re
import tempfile
import time
import unittest
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import requests

from daist.standin.server import StandinMaster


@dataclass(frozen=True)
class Binding:
    """One generated call of ``determined.common.api.bindings``."""

    name: str
    method: str
    template: str
    response: str | None
    stream: bool

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"\{[^}]+\}", self.template)
        return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")


@functools.lru_cache(maxsize=1)
def bindings_index() -> tuple[Binding, ...]:
    """Parsed from bindings.py's source, independent of the stand-in's own route table."""
    from determined.common.api import bindings

    with open(bindings.__file__) as f, warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        tree = ast.parse(f.read())
    out = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        call = next((n for n in ast.walk(fn) if isinstance(n, ast.Call)
                     and getattr(n.func, "attr", "") == "_do_request"), None)
        if call is None:
            continue
        kw = {k.arg: k.value for k in call.keywords}
        template = ast.unparse(kw["path"]).lstrip("f").strip("'\"")
        returns = ast.unparse(fn.returns).strip("'\"") if fn.returns else "None"
        match = re.search(r"(v1\w+|\w+v1\w+)", returns)
        out.append(Binding(name=fn.name, method=kw["method"].value, template=template,
                           response=match.group(1) if match else None,
                           stream=bool(kw["stream"].value)))
    return tuple(out)


def binding_for(method: str, path: str) -> Binding:
    """The binding a real client would use for ``method path`` (fixed segments win)."""
    candidates = [b for b in bindings_index() if b.method == method and b.pattern.match(path)]
    if not candidates:
        raise LookupError(f"no binding for {method} {path}")
    return min(candidates, key=lambda b: b.template.count("{"))


def parse_with_binding(binding: Binding, response: requests.Response) -> list[Any]:
    """Parse a response as the SDK would; returns the parsed objects (one per stream line)."""
    from determined.common.api import bindings

    assert response.status_code == 200, (binding.name, response.status_code, response.text[:300])
    if binding.response is None:
        return []
    cls = getattr(bindings, binding.response)
    if not binding.stream:
        return [cls.from_json(response.json())]
    import json

    out = []
    for line in response.text.splitlines():
        if line.strip():
            out.append(cls.from_json(json.loads(line)["result"]))
    return out


class SdkConfig:
    """Points the SDK's token store (``DET_DEBUG_CONFIG_PATH``) at a fresh temp dir."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="standin-sdk-")
        self._old = os.environ.get("DET_DEBUG_CONFIG_PATH")
        os.environ["DET_DEBUG_CONFIG_PATH"] = self._tmp.name

    def close(self) -> None:
        if self._old is None:
            os.environ.pop("DET_DEBUG_CONFIG_PATH", None)
        else:
            os.environ["DET_DEBUG_CONFIG_PATH"] = self._old
        self._tmp.cleanup()


class MasterTestCase(unittest.TestCase):
    """One in-process ``StandinMaster`` per test class; ``login()`` gives a requests session."""

    master_options: dict[str, Any] = {}

    @classmethod
    def setUpClass(cls) -> None:
        cls.master = StandinMaster(port=0, **cls.master_options)
        cls.url = cls.master.start()
        cls.sdk = SdkConfig()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.master.stop()
        cls.sdk.close()

    def login(self, username: str = "admin", password: str = "") -> requests.Session:
        session = requests.Session()
        response = session.post(f"{self.url}/api/v1/auth/login",
                                json={"username": username, "password": password})
        self.assertEqual(response.status_code, 200, response.text)
        session.headers["Authorization"] = f"Bearer {response.json()['token']}"
        self.addCleanup(session.close)
        return session

    def counts(self) -> dict[str, int]:
        return requests.get(f"{self.url}/standin/counts", timeout=10).json()


def seed_ids(session: requests.Session, url: str) -> dict[str, Any]:
    """The ids section 5.4's autodiscovery would find, read through the API itself."""
    get = lambda path: session.get(url + path, timeout=30).json()  # noqa: E731
    me = get("/api/v1/me")["user"]
    exp = next(e for e in get("/api/v1/experiments?showTrialData=true")["experiments"]
               if e["state"] == "STATE_COMPLETED")
    trial = get(f"/api/v1/trials/{exp['trialIds'][0]}")["trial"]
    tree = get(f"/api/v1/experiments/{exp['id']}/file_tree")["files"]
    model = next(m for m in get("/api/v1/models")["models"] if m["numVersions"] > 0)
    versions = get(f"/api/v1/models/{model['id']}/versions")["modelVersions"]
    tasks = get("/api/v1/tasks")["allocationIdToSummary"]
    workspace = next(w for w in get("/api/v1/workspaces")["workspaces"]
                     if get(f"/api/v1/workspaces/{w['id']}/projects")["projects"])
    project = get(f"/api/v1/workspaces/{workspace['id']}/projects")["projects"][0]
    return {
        "user_id": me["id"], "user_name": me["username"], "experiment_id": exp["id"],
        "trial_id": trial["id"], "checkpoint_id": trial["bestCheckpoint"]["uuid"],
        "metric_name": next(iter(trial["summaryMetrics"]["avg_metrics"])),
        "experiment_file": [f for f in tree if not f["isDir"]][-1]["path"],
        "model_name": model["name"], "model_version": versions[0]["version"],
        "resource_pool": get("/api/v1/resource-pools")["resourcePools"][0]["name"],
        "task_id": next(iter(tasks.values()))["taskId"], "trial_task_id": trial["taskId"],
        "template_name": get("/api/v1/templates")["templates"][0]["name"],
        "workspace_id": workspace["id"], "project_id": project["id"], "group_id": 1,
    }


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallow what the SDK prints on login (e.g. its password-complexity warning)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def wait_until(what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
    """``check()``'s first true value, polled until ``timeout`` s (then AssertionError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# a checkpoint storage config as the master shows it has these, null when unset
UNSET_SAVE_COUNTS = {"save_experiment_best": None, "save_trial_best": None,
                     "save_trial_latest": None}


def wait_for_gc(session: Any, deadline_s: float = 60.0) -> None:
    """Until no checkpoint GC task is listed in ``/tasks`` (each ends when its process
    exits); an AssertionError past the deadline."""
    deadline = time.monotonic() + deadline_s
    while any(str(t.get("name", "")).startswith("Checkpoint GC")
              for t in session.get("tasks").json().values()):
        if time.monotonic() > deadline:
            raise AssertionError(f"a checkpoint GC task still runs after {deadline_s} s")
        time.sleep(0.05)
