"""Results written by daist before the load shape became an object (a ``shape`` string and the
plan's fields copied flat into ``LocustStatsList.run``) still load, summarise, compare and
upload exactly as they did: ``fixtures/old_shapes`` holds three such runs (closed, open and
steps; TestRO against the embedded stand-in, trimmed to the manifest, the saved settings and
the six busiest endpoints), ``golden.json`` what that daist made of them. The comparisons'
texts are those of the current judging rule: when issue 23's rule replaced the one that wrote
them, their wording and noise figures were rewritten once (every verdict line the same).

To write ``golden.json`` again (only from the code that wrote the fixtures):
``__venv__/bin/python -m uts.report.test_old_shapes --write``."""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any

from daist.db.rows import RunRow, collect_test
from daist.models.locust import SCHEMA_VERSION, LocustStatsList
from daist.report.compare import compare_runs
from daist.report.compare_render import render_text
from daist.report.loader import load_run
from daist.report.summary import summary_text

FIXTURES = Path(__file__).parent / "fixtures" / "old_shapes"
GOLDEN = FIXTURES / "golden.json"
SHAPES = ("closed", "open", "steps")
PAIRS = (("closed", "closed"), ("open", "open"), ("steps", "steps"), ("closed", "open"),
         ("open", "steps"))


def run_dir(shape: str) -> Path:
    return next(p for p in (FIXTURES / shape).iterdir() if p.is_dir())


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def outputs() -> dict[str, Any]:
    """Every output the fixtures give, with the fixtures' own path made neutral."""
    found: dict[str, Any] = {"summary": {}, "compare": {}, "upload": {}}
    runs = {shape: load_run(run_dir(shape), figures=False) for shape in SHAPES}
    for shape, run in runs.items():
        found["summary"][shape] = summary_text(run)
        result = run.result
        row = RunRow.of(result)
        uploads = []
        for test_id in result.tests:
            batch = collect_test(result, test_id, run=row)
            uploads += [{"values": load.values, "steps": load.steps,
                         "endpoints": [e.values for e in load.endpoints]}
                        for load in batch.loads]
        found["upload"][shape] = _plain(uploads)
    for base, cand in PAIRS:
        found["compare"][f"{base} vs {cand}"] = render_text(compare_runs(runs[base], runs[cand]),
                                                            show_all=True)
    return json.loads(json.dumps(found).replace(str(FIXTURES.resolve()), "<fixtures>"))


class TestOldResults(unittest.TestCase):
    def test_old_shapes_give_what_they_gave(self):
        golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
        found = outputs()
        for part in ("summary", "upload", "compare"):
            for name in golden[part]:
                with self.subTest(part=part, name=name):
                    self.assertEqual(found[part][name], golden[part][name])
        self.assertEqual(found.keys(), golden.keys())

    def test_an_old_run_written_anew_reads_the_same(self):
        """An old LocustStatsList saved by this daist (the plan as one record) summarises as
        before and compares with its old self; its upload differs only where the old record
        held settings its shape did not use (a sweep's ``run_time``)."""
        golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
        for shape in SHAPES:
            with self.subTest(shape=shape), tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / shape / run_dir(shape).name
                shutil.copytree(run_dir(shape), copy)
                path = next(copy.glob("LocustStatsList-*.json"))
                LocustStatsList.open(path).save(path, replace=True)
                written = json.loads(path.read_text())
                self.assertEqual((written["schema_version"], written["run"]["plan"]["shape"]["name"]),
                                 (SCHEMA_VERSION, shape))
                self.assertNotIn("users", written["run"])
                old, new = load_run(run_dir(shape), figures=False), load_run(copy, figures=False)
                self.assertEqual(summary_text(new).replace(tmp, str(FIXTURES.resolve())),
                                 golden["summary"][shape].replace("<fixtures>", str(FIXTURES.resolve())))
                comparison = compare_runs(old, new)
                self.assertEqual((comparison.comparability.refusals, comparison.missing), ([], []))
                batch = collect_test(new.result, next(iter(new.result.tests)))
                values = _plain(batch.loads[0].values)
                was = golden["upload"][shape][0]["values"]
                changed = {k for k in was if values[k] != was[k]}
                self.assertEqual(changed, {"run_time_s"} if shape == "steps" else set())

    def test_the_fixtures_are_in_the_old_format(self):
        for shape in SHAPES:
            stats = json.loads(next(run_dir(shape).glob("LocustStatsList-*.json")).read_text())
            self.assertEqual(stats["run"]["shape"], shape)
            self.assertIn("run_time_s", stats["run"])


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.write_text(json.dumps(outputs(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
