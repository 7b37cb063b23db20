"""Issue 24, hole 7 (a property, tested with Hypothesis): whatever bytes a results directory,
the settings or a request hold, daist answers with its one-line error and the stand-in with the
master's 4xx, never a traceback or a 500.

Hypothesis runs derandomized (the same examples every run, no example database written) with a
bounded number of examples, so the suite stays deterministic and these tests take seconds.
Results files start from valid artifacts (so the fuzzing reaches the checks deep inside them)
and have one part replaced by arbitrary JSON, or are arbitrary text."""
from __future__ import annotations

import dataclasses
import functools
import json
import re
import shutil
import tempfile
import unittest
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daist.framework.errors import DaistError
from daist.models.base import Artifact, FormatError, artifact_class, open_artifact
from daist.models.result import Result
from daist.models.timestamp import Timestamp
from daist.standin.http.routes import ROUTES
from daist.standin.http.app import INTERNAL
from uts.db.support import make_saved_run, remove
from uts.standin.support import MasterTestCase

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=100,
                suppress_health_check=list(HealthCheck))
STAMP = "2024-07-29T18-49-50Z"
KEYS = ("name", "id", "config", "password", "username", "url", "triggers", "condition",
        "regex", "filters", "experimentIds", "workspaceId", "projectId", "state", "labels",
        "notes", "description", "mode", "webhookType", "rules", "path", "metrics", "steps",
        "entries", "files", "tests", "value", "content", "message", "admin", "active")
"""Field names the fuzzing uses besides random ones, so bodies and documents get past the
first check more often."""

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def replace_part(data: Any, draw: Any) -> Any:
    """``data`` with one part (the whole, or something at a random path) replaced by an
    arbitrary JSON value."""
    if not isinstance(data, (dict, list)) or not data or draw(st.integers(0, 3)) == 0:
        return draw(json_values)
    key = draw(st.sampled_from(sorted(data) if isinstance(data, dict) else range(len(data))))
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[key] = replace_part(copy[key], draw)
    return copy


@functools.lru_cache(maxsize=1)
def documents() -> dict[str, dict[str, Any]]:
    """classname -> the plain data of a valid artifact of that class (a saved run's files, and
    each other data class as constructed with its defaults)."""
    run = make_saved_run()
    try:
        found = {open_artifact(run.directory / rel).__class__.__name__:
                 open_artifact(run.directory / rel).to_data()
                 for rel in run.result.files if rel.endswith(".json")}
        found["Result"] = json.loads(run.result.manifest_path.read_text())
    finally:
        remove(run)
    artifact_class("Result")  # imports every model module
    from daist.models.base import _REGISTRY
    for name, cls in _REGISTRY.items():
        if name not in found and dataclasses.is_dataclass(cls):
            try:
                found[name] = cls().to_data()
            except (TypeError, ValueError):  # no defaults, or not plain data (a PNG)
                continue
    return found


class TestResultsFiles(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="uts-fuzz-"))
        self.addCleanup(shutil.rmtree, self.directory)

    def write(self, classname: str, raw: bytes, suffix: str = "json") -> Path:
        path = self.directory / f"{classname}-fuzz-{STAMP}.{suffix}"
        path.write_bytes(raw)
        return path

    @FUZZ
    @given(st.data())
    def test_every_artifact_type_answers_a_damaged_file_with_a_format_error(self, data) -> None:
        classname = data.draw(st.sampled_from(sorted(documents())))
        document = replace_part(documents()[classname], data.draw)
        raw = json.dumps(document).encode()
        try:
            opened = open_artifact(self.write(classname, raw))
        except FormatError as exc:
            self.assertEqual(len(str(exc).splitlines()), 1, str(exc))
        else:
            self.assertIsInstance(opened, Artifact)

    @FUZZ
    @given(st.sampled_from(["LocustStatsList", "MetricLatencyOpHist", "ConfigFile", "Result",
                            "CsvTable", "LocustCsv", "TextDocument", "Figure", "Nope"]),
           st.sampled_from(["json", "yaml", "csv", "txt", "png", "conf"]),
           st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
    def test_arbitrary_bytes_under_any_artifact_name(self, classname, suffix, raw) -> None:
        try:
            open_artifact(self.write(classname, raw, suffix))
        except FormatError as exc:
            self.assertEqual(len(str(exc).splitlines()), 1, str(exc))

    @settings(FUZZ, max_examples=30)
    @given(st.data())
    def test_a_damaged_manifest_is_one_line_for_the_loaders(self, data) -> None:
        from daist.report.loader import load_run
        document = replace_part(documents()["Result"], data.draw)
        for old in self.directory.iterdir():
            old.unlink()
        manifest = self.write("Result-host", json.dumps(document).encode())
        try:
            Result.open(manifest)
        except FormatError as exc:
            self.assertEqual(len(str(exc).splitlines()), 1, str(exc))
        run = load_run(self.directory, figures=False)  # never raises for a bad manifest
        self.assertTrue(all("\n" not in item for item in run.skipped), run.skipped)


class TestSettings(unittest.TestCase):
    @FUZZ
    @given(st.dictionaries(st.sampled_from(
        sorted({variable for _, variable, _, _ in __import__(
            "daist.framework.settings", fromlist=["settings_table"]).settings_table()})),
        st.text(max_size=30), max_size=5))
    def test_any_environment_values_load_or_are_one_config_error(self, environ) -> None:
        from daist.framework.settings import load_settings
        try:
            load_settings(environ=environ)
        except DaistError as exc:
            self.assertEqual(len(str(exc).splitlines()), 1, str(exc))

    @settings(FUZZ, max_examples=50)
    @given(st.text(max_size=300) | st.lists(
        st.tuples(st.sampled_from(["[determined]", "[locust]", "[metrics]", "[standin]",
                                   "[profile.x]", "[nope]"]),
                  st.sampled_from(["users", "slo", "faults", "DET_MASTER", "concurrency",
                                   "run_time", "x"]), st.text(max_size=20)), max_size=4)
        .map(lambda rows: "\n".join(f"{s}\n{k} = {v}" for s, k, v in rows)))
    def test_any_config_file_loads_or_is_one_config_error(self, text) -> None:
        from daist.framework.settings import load_settings
        with tempfile.NamedTemporaryFile("w", suffix=".conf", encoding="utf-8",
                                         errors="surrogatepass") as config:
            config.write(text)
            config.flush()
            try:
                load_settings(environ={}, config_path=config.name)
            except DaistError as exc:
                self.assertEqual(len(str(exc).splitlines()), 1, str(exc))

    @FUZZ
    @given(st.sampled_from(["locust", "metrics", "faults"]), st.text(max_size=60))
    def test_slo_and_fault_grammars_answer_one_config_error(self, grammar, text) -> None:
        from daist.app import check_faults
        from daist.framework.errors import ConfigError
        from daist.models.limits import metric_limits as parse_slo
        from daist.rest_api.verdict import parse_endpoint_slo
        parse = {"locust": lambda t: parse_endpoint_slo(t, p95_ms=1000, p99_ms=None,
                                                        max_fail_ratio=0.05, test_names={"x"}),
                 "metrics": lambda t: parse_slo(t, operations=("write", "visible"),
                                                error=ConfigError),
                 "faults": check_faults}[grammar]
        try:
            parse(text)
        except (ConfigError, ValueError) as exc:
            self.assertEqual(len(str(exc).splitlines()), 1, str(exc))


BODY_ROUTES = sorted(
    (route.method, re.sub(r"\{[^}]+\}", "1", route.path)) for route in ROUTES
    if route.method in ("POST", "PUT", "PATCH")
    and not re.search(r"/standin/(reset|tokens)|auth/logout|/activate$|/continue$|"
                      r"^/api/v1/experiments$", route.path))
"""Every route that reads a JSON body, with ids filled in; left out: those that log the fuzzer
out, reseed or start trial processes."""


class TestStandinBodies(MasterTestCase):
    master_options = {"scale": 10}

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.session = requests.Session()
        login = cls.session.post(f"{cls.url}/api/v1/auth/login", timeout=30,
                                 json={"username": "admin", "password": ""})
        cls.session.headers["Authorization"] = f"Bearer {login.json()['token']}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.session.close()
        super().tearDownClass()

    @settings(FUZZ, max_examples=150)
    @given(st.sampled_from(BODY_ROUTES),
           json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=40))
    def test_any_body_is_answered_like_the_master_never_with_a_500(self, route, body) -> None:
        method, path = route
        response = self.session.request(method, self.url + path, data=body, timeout=30)
        if response.status_code >= 400:  # Determined's error JSON; a 5xx only where the
            error = response.json()        # master answers one too, never the catch-all
            self.assertEqual(set(error), {"code", "message", "details"}, error)
            self.assertNotEqual(error["message"], INTERNAL, (method, path, body))


if __name__ == "__main__":
    unittest.main()
