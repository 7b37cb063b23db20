"""compare's attribution of each regressed endpoint: inside the master when its own time moved
by about as much as the client's, outside when it did not, unknown without server timing; and
the statements and profile functions that grew most."""
from __future__ import annotations

import shutil
import unittest
from pathlib import Path

from daist.models.evidence import (EndpointTiming, ProfileFunction, ProfileTop, ServerTiming,
                                   SqlStatement, SqlStatements)
from daist.models.result import Result
from daist.report.attribution import INSIDE, OUTSIDE, UNKNOWN, attributions
from daist.report.compare import compare_runs
from daist.report.compare_render import render_text
from daist.report.loader import find_manifest, load_run
from uts.report.factories import LOAD_TEST, run_pair

SLOWED, STEADY = "get slowed", "get steady"


def add(directory: Path, *artifacts) -> None:
    result = Result.open(find_manifest(directory))
    for artifact in artifacts:
        result.add(artifact, test_id=LOAD_TEST, tags=("TestRO.test",))


def timing(client_ms: float, server_ms: float, bucket: list[float]) -> ServerTiming:
    return ServerTiming(endpoints=[EndpointTiming(
        name=SLOWED, method="GET", grpc_method="GetThing", client_requests=600,
        client_p50_ms=client_ms, client_p95_ms=client_ms * 1.3, server_requests=600,
        server_p50_ms=server_ms, server_p95_ms=server_ms, server_p50_bucket_ms=bucket,
        server_p95_bucket_ms=bucket)], outside_limit_ms=25)


def sql(query_ms: dict[str, float]) -> SqlStatements:
    return SqlStatements(database="postgresql://det@db/det", total_statements=len(query_ms),
                         statements=[SqlStatement(query=q, queryid=str(i), calls=10, total_ms=ms,
                                                  mean_ms=ms / 10, rows=10)
                                     for i, (q, ms) in enumerate(query_ms.items())])


def profile(flat_ms: dict[str, float]) -> ProfileTop:
    return ProfileTop(functions=[ProfileFunction(name=n, flat_ms=ms, cum_ms=ms)
                                 for n, ms in flat_ms.items()], seconds=10,
                      sample_type="cpu/nanoseconds", total_ms=sum(flat_ms.values()))


class TestAttribution(unittest.TestCase):
    def pair(self) -> tuple[Path, Path]:
        base, cand = run_pair([SLOWED, STEADY], added_ms={SLOWED: 40.0})
        for directory in (base, cand):
            self.addCleanup(shutil.rmtree, directory.parents[1])
        return base, cand

    def compare(self, base: Path, cand: Path):
        comparison = compare_runs(load_run(base, figures=False), load_run(cand, figures=False))
        self.assertEqual([row.name for row in comparison.regressions], [f"GET {SLOWED}"])
        return comparison

    def test_the_masters_own_time_moved_as_much_inside(self) -> None:
        base, cand = self.pair()
        add(base, timing(40.0, 2.5, [0.0, 5.0]), sql({"SELECT a": 100.0, "SELECT b": 50.0}),
            profile({"db.Query": 200.0, "json.Marshal": 100.0}))
        add(cand, timing(80.0, 37.5, [25.0, 50.0]),
            sql({"SELECT a": 100.0, "SELECT b": 450.0, "SELECT c": 20.0}),
            profile({"db.Query": 900.0, "json.Marshal": 100.0}))
        comparison = self.compare(base, cand)
        (found,) = attributions(comparison)
        self.assertEqual(found.verdict, INSIDE)
        self.assertEqual(found.statements, ["SELECT b: 50.0 -> 450.0 ms in all",
                                            "SELECT c: 0.0 -> 20.0 ms in all"])
        self.assertEqual(found.functions, ["db.Query: 20.0 -> 90.0 ms flat per s"])
        text = render_text(comparison)
        self.assertIn(f"TestRO.test: GET {SLOWED}: INSIDE THE MASTER: client p50 40.0 -> 80.0 ms "
                      "(+40.0), the master's own p50 2.50 -> 37.5 ms (+35.0", text)
        self.assertIn("SQL grown: SELECT b", text)

    def test_only_the_clients_time_moved_outside(self) -> None:
        base, cand = self.pair()
        add(base, timing(40.0, 2.5, [0.0, 5.0]))
        add(cand, timing(80.0, 2.5, [0.0, 5.0]))
        (found,) = attributions(self.compare(base, cand))
        self.assertEqual(found.verdict, OUTSIDE)
        self.assertNotIn("uncertain", found.reason)  # +/-5 ms of buckets cannot reach +20
        self.assertEqual((found.statements, found.functions), ([], []))

    def test_buckets_that_allow_the_other_answer_say_so(self) -> None:
        base, cand = self.pair()
        add(base, timing(40.0, 30.0, [25.0, 50.0]))
        add(cand, timing(80.0, 40.0, [25.0, 50.0]))   # +10 of +40: outside, but 25 ms wide
        (found,) = attributions(self.compare(base, cand))
        self.assertEqual(found.verdict, OUTSIDE)
        self.assertIn("uncertain: its buckets allow a change of -25 to +25 ms", found.reason)

    def test_without_server_timing_it_cannot_say(self) -> None:
        base, cand = self.pair()
        add(cand, timing(80.0, 37.5, [25.0, 50.0]))
        (found,) = attributions(self.compare(base, cand))
        self.assertEqual(found.verdict, UNKNOWN)
        self.assertIn("a run saved no server timing for it", found.reason)


if __name__ == "__main__":
    unittest.main()
