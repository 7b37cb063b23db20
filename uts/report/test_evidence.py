"""The target's evidence in a run's summary and HTML page: server time beside client time,
the outside-the-master warning, the SQL statements and the profile's top functions (the page
also in headless Chromium)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from daist.models.evidence import (EndpointTiming, ProfileFunction, ProfileTop, ServerTiming,
                                   SqlStatement, SqlStatements)
from daist.models.result import Result
from daist.report.html import render_report
from daist.report.loader import find_manifest, load_run
from daist.report.summary import summary_text
from uts.report.factories import LOAD_TEST, latencies, make_entry, make_run_dir, make_stats
from uts.report.test_html import CHROMIUM, CHROMIUM_FLAGS

SLOW = "get <slow> experiments"  # escaped in the page


def evidence_run() -> Path:
    entries = [make_entry("get experiments", latencies(30.0, 200, seed=1)),
               make_entry(SLOW, latencies(80.0, 200, seed=2))]
    directory = make_run_dir(locust={LOAD_TEST: make_stats(*entries)})
    result = Result.open(find_manifest(directory))
    timing = ServerTiming(endpoints=[
        EndpointTiming(name="get experiments", method="GET", grpc_method="GetExperiments",
                       client_requests=200, client_p50_ms=30.0, client_p95_ms=41.0,
                       server_requests=200, server_p50_ms=27.0, server_p95_ms=45.0,
                       server_p50_bucket_ms=[25.0, 50.0], server_p95_bucket_ms=[25.0, 50.0]),
        EndpointTiming(name=SLOW, method="GET", grpc_method="GetExperiments",
                       client_requests=200, client_p50_ms=80.0, client_p95_ms=99.0,
                       server_requests=200, server_p50_ms=2.5, server_p95_ms=4.75,
                       server_p50_bucket_ms=[0.0, 5.0], server_p95_bucket_ms=[0.0, 5.0])],
        source={"metric": "grpc_server_handling_seconds", "percentiles": "interpolated"},
        outside_limit_ms=25.0)
    sql = SqlStatements(database="postgresql://det@db/determined", total_statements=3,
                        statements=[SqlStatement(query="SELECT * FROM experiments WHERE id = $1",
                                                 queryid="7", calls=400, total_ms=812.5,
                                                 mean_ms=2.031, rows=400)])
    profile = ProfileTop(functions=[ProfileFunction(name="db.(*PgDB).Query", flat_ms=310.0,
                                                    cum_ms=900.0)],
                         sample_type="cpu/nanoseconds", total_ms=2000.0, seconds=10,
                         profile_file="CpuProfile-TestRO.test-x.pprof")
    for artifact in (timing, sql, profile):
        result.add(artifact, test_id=LOAD_TEST, tags=("TestRO.test",))
    return directory


class TestEvidenceInReports(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = evidence_run()
        self.addCleanup(shutil.rmtree, self.dir.parents[1])

    def test_summary_shows_server_beside_client_and_warns_outside(self) -> None:
        text = summary_text(load_run(self.dir))
        self.assertIn("Server time (the master's own, grpc_server_handling_seconds", text)
        self.assertRegex(text, r"GET get <slow> experiments +80\.0 +2\.50 \(0-5\) +75\.0 to 80\.0")
        self.assertRegex(text, r"GET get experiments +30\.0 +27\.0 \(25-50\) +-20\.0 to 5\.00")
        warnings = [line for line in text.splitlines() if "WARNING" in line]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn(f"{SLOW}: 75 to 80 ms of the median 80 ms is spent outside the master",
                      warnings[0])
        self.assertRegex(text, r"812\.5 +400 +2\.03 +400  SELECT \* FROM experiments WHERE id = \$1")
        self.assertRegex(text, r"310\.0 +900\.0  db\.\(\*PgDB\)\.Query")

    def test_page_has_the_tables_and_escapes_names(self) -> None:
        page = render_report(load_run(self.dir))
        self.assertIn("<h3>Server time</h3>", page)
        self.assertIn("get &lt;slow&gt; experiments", page)
        self.assertNotIn(SLOW, page)
        self.assertIn("Outside the master:", page)
        self.assertIn("<h3>SQL statements</h3>", page)
        self.assertIn("<h3>CPU profile</h3>", page)

    @unittest.skipUnless(CHROMIUM, "needs Chromium (apt-get install -y chromium)")
    def test_the_server_time_table_renders_in_chromium(self) -> None:
        work = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        page = work / "report.html"
        page.write_text(render_report(load_run(self.dir)), encoding="utf-8")
        done = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile'}",
                               "--dump-dom", page.as_uri()], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        dom = done.stdout
        start = dom.index('server-time')
        table = dom[start:dom.index("</table>", start)]
        self.assertIn("<td class=\"num\">2.50 (0-5)</td><td class=\"num\">75.0 to 80.0</td>", table)


if __name__ == "__main__":
    unittest.main()
