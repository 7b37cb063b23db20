"""The table "Where a change goes" in docs/harness-api.md stays true: each kind of change is
made here in a scratch copy of the tree, in the files that row lists and no others, and a
focused check in a fresh interpreter (run on the copy) shows the change took effect."""
from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

from daist.framework import paths

DOC = paths.ROOT / "docs" / "harness-api.md"
OLD_RESULTS = paths.ROOT / "uts" / "report" / "fixtures" / "old_results"
CHECK_TIMEOUT_S = 240


def listed_files(change: str) -> list[str]:
    """The file patterns (``daist/...``, ``<x>`` for any name) of one row of the table."""
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] == change:
            return re.findall(r"`(daist/[^`]+)`", cells[1])
    raise AssertionError(f"docs/harness-api.md has no row {change!r}")


class ScratchTree:
    """A copy of ``daist/`` and ``uts/`` in which one change is made, file by file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        ignore = shutil.ignore_patterns("__pycache__", "results", "*.pyc")
        for folder in ("daist", "uts"):
            shutil.copytree(paths.ROOT / folder, root / folder, ignore=ignore)
        self.touched: set[str] = set()

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        self._check(text.count(old) == 1, f"{relative}: {old!r} occurs {text.count(old)} times")
        path.write_text(text.replace(old, new), encoding="utf-8")
        self.touched.add(relative)

    def append(self, relative: str, text: str) -> None:
        with open(self.root / relative, "a", encoding="utf-8") as file:
            file.write(text)
        self.touched.add(relative)

    def create(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        self.touched.add(relative)

    @staticmethod
    def _check(condition: bool, message: str) -> None:
        if not condition:
            raise AssertionError(message)

    def run(self, script: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(self.root), "TMPDIR": str(self.root)}
        return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=self.root,
                              env=env, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)


class TestWhereAChangeGoes(unittest.TestCase):
    def scratch(self) -> ScratchTree:
        root = Path(tempfile.mkdtemp(prefix="change-"))
        self.addCleanup(shutil.rmtree, root, ignore_errors=True)
        return ScratchTree(root)

    def check(self, change: str, tree: ScratchTree, script: str) -> None:
        patterns = [re.sub(r"<[^>]+>", "*", p) + ("*" if p.endswith("/") else "")
                    for p in listed_files(change)]
        for relative in sorted(tree.touched):
            self.assertTrue(any(fnmatch.fnmatch(relative, p) for p in patterns),
                            f"{change}: {relative} is not among {listed_files(change)}")
        self.assertLessEqual(len(tree.touched), 3, sorted(tree.touched))
        done = tree.run(f"from pathlib import Path\nOLD = Path({str(OLD_RESULTS)!r})\n"
                        + textwrap.dedent(script))
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        self.assertIn("checked", done.stdout)

    def test_a_new_setting(self):
        tree = self.scratch()
        tree.edit("daist/models/config.py", '''    stdout_level: str = knob("INFO",''',
                  '''    probe_note: str = knob("", "A note shown in the summary.", p.text)
    stdout_level: str = knob("INFO",''')
        tree.edit("daist/config.d/config.conf", "stdout_level = INFO\n",
                  "stdout_level = INFO\nprobe_note =\n")
        tree.edit("daist/report/summary.py", '''             f"Results directory: {run.directory}"]''',
                  '''             f"Results directory: {run.directory}"]
    if run.setting("log", "probe_note"):
        lines.append(f"Note: {run.setting('log', 'probe_note')}")''')
        self.check("a setting", tree, """
            import shutil, tempfile
            import daist.app
            from daist.framework.settings import load_settings
            from daist.models.config import ConfigFile
            from daist.report.loader import load_run
            from daist.report.summary import summary_text
            settings = load_settings(environ={"DAIST_LOG_PROBE_NOTE": "from the environment"})
            assert settings.log.probe_note == "from the environment", settings.log
            assert load_settings(environ={}).log.probe_note == ""  # the packaged file agrees
            run_dir = Path(shutil.copytree(OLD / "load", Path(tempfile.mkdtemp()) / "load"))
            [conf] = run_dir.glob("ConfigFile-*.conf")
            saved = ConfigFile.open(conf)
            saved.sections["log"]["probe_note"] = "from the saved settings"
            saved.save(conf, replace=True)
            assert "Note: from the saved settings" in summary_text(load_run(run_dir))
            print("checked")
        """)

    def test_a_new_artifact_shown_in_the_report(self):
        tree = self.scratch()
        tree.create("daist/models/probe_table.py", '''
            from dataclasses import dataclass, field

            from daist.models.base import Artifact


            @dataclass
            class ProbeTable(Artifact):
                values: list[float] = field(default_factory=list)
        ''')
        tree.edit("daist/rest_api/kind.py", "\n\ndef parse_limits(", '''
from daist.models.probe_table import ProbeTable
from daist.report.figures import Plot


def probe_plots(run, key, table):
    return [Plot(f"Probe of {len(table.values)} values", "data:,", "drawn from it")]


def parse_limits(''')
        tree.edit("daist/rest_api/kind.py", "               Artifact(Capacity)),",
                  "               Artifact(Capacity), Artifact(ProbeTable, plot=probe_plots)),")
        self.check("an artifact type shown in the report", tree, """
            import shutil, tempfile
            import daist.app
            from daist.models.probe_table import ProbeTable
            from daist.models.result import Result
            from daist.report.html import render_report
            from daist.report.loader import load_run
            run_dir = Path(shutil.copytree(OLD / "load", Path(tempfile.mkdtemp()) / "load"))
            [manifest] = run_dir.glob("Result-*.json")
            result = Result.open(manifest)
            result.add(ProbeTable(values=[1.0, 2.0]), test_id="daist.rest_api.test_locust.TestRO.test",
                       tags=("TestRO.test",))
            result.save_manifest()
            page = render_report(load_run(run_dir))
            assert "<figcaption>Probe of 2 values (drawn from it)</figcaption>" in page
            print("checked")
        """)

    def test_a_new_endpoint_in_the_load_mix(self):
        tree = self.scratch()
        tree.edit("daist/rest_api/catalogue.py",
                  '''    E("get master config file", "GET", "/api/v1/master/config", "get"),''',
                  '''    E("get master config file", "GET", "/api/v1/master/config", "get"),
    E("get master configuration again", "GET", "/api/v1/master", "get"),''')
        self.check("an endpoint in the load mix", tree, """
            import unittest
            from daist.rest_api.catalogue import CATALOGUE
            [task] = [t for t in CATALOGUE if t.test_name == "get master configuration again"]
            assert task.grpc_method == "GetMaster", task.grpc_method
            suite = unittest.defaultTestLoader.loadTestsFromName(
                "uts.rest_api.test_catalogue.TestCatalogueData")
            assert unittest.TextTestRunner(verbosity=0).run(suite).wasSuccessful()
            print("checked")
        """)

    def test_a_new_standin_route(self):
        tree = self.scratch()
        tree.append("daist/standin/http/handlers/cluster.py", HANDLER)
        tree.edit("daist/standin/http/routes.py", ROUTE_BEFORE, ROUTE_BEFORE + "\n" + ROUTE)
        self.check("a stand-in endpoint", tree, """
            import requests
            from daist.standin.launcher import StandinProcess
            with StandinProcess(scale=0) as url:
                answer = requests.get(url + "/api/v1/probe", timeout=30)
            assert answer.status_code == 200, answer.status_code
            assert answer.json()["probe"] == "answered", answer.text
            print("checked")
        """)

    def test_a_new_test_kind(self):
        tree = self.scratch()
        tree.create("daist/probe/__init__.py", '"""A probe test kind, in its own room."""\n')
        tree.create("daist/probe/kind.py", PROBE_KIND)
        tree.edit("daist/app.py", "from daist.rest_api.kind import LOAD_TEST\n",
                  "from daist.rest_api.kind import LOAD_TEST\nfrom daist.probe.kind import PROBE_TEST\n")
        tree.edit("daist/app.py", "KINDS.declare(METRIC_TEST)",
                  "KINDS.declare(METRIC_TEST)\nKINDS.declare(PROBE_TEST)")
        self.check("a test kind", tree, """
            import shutil, tempfile
            import daist.app
            from daist.framework.kinds import KINDS
            from daist.models.result import Result
            from daist.probe.kind import ProbeCount
            from daist.report.loader import load_run
            from daist.report.summary import summary_text
            assert [kind.name for kind in KINDS][-1] == "probe test"
            run_dir = Path(shutil.copytree(OLD / "metric", Path(tempfile.mkdtemp()) / "metric"))
            [manifest] = run_dir.glob("Result-*.json")
            result = Result.open(manifest)
            result.add(ProbeCount(count=3), test_id="daist.metrics.test_latency.Test.test",
                       tags=("Test.test",))
            result.save_manifest()
            run = load_run(run_dir)
            assert run.skipped == [], run.skipped
            text = summary_text(run)
            assert "Probe Test.test: 3 probes" in text, text
            assert text.index("Metric latency Test.test") < text.index("Probe Test.test")
            print("checked")
        """)


HANDLER = '''


async def probe(backend: Backend, request: web.Request) -> Json:
    return {"probe": "answered", "cluster": STANDIN_CLUSTER_NAME}
'''
ROUTE_BEFORE = '    _r("GET", f"{V1}/master", cluster.master, public=True),'
ROUTE = '    _r("GET", f"{V1}/probe", cluster.probe, public=True),'
PROBE_KIND = '''
from dataclasses import dataclass

from daist.framework.kinds import Artifact, Section, TestKind
from daist.models.base import Artifact as Model


@dataclass
class ProbeCount(Model):
    count: int = 0


def probe_keys(run):
    return list(run.artifacts.get(ProbeCount.__name__, {}))


def probe_text(run, key):
    return [f"Probe {key}: {run.artifact_of(ProbeCount, key).count} probes"]


PROBE_TEST = TestKind(name="probe test", settings="probe", artifacts=(Artifact(ProbeCount),),
                      sections=(Section(keys=probe_keys, text=probe_text),))
'''


if __name__ == "__main__":
    unittest.main()
