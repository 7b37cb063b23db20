"""Nothing measured changes when the hot path does: a fixed sequence of Locust ``request``
events goes through the recorder (in-process, a sweep, two workers merged on a master) and a
fixed sequence of answers through the answer check, and every output -- entries with their HDR
histograms and blocks, late sends, step tallies, the over-time history, the samples file, the
check's verdicts -- must equal ``golden/recorder.json``, written by the recorder as it was
before issue 30 reworked it (commit 71303be).

Rewrite the golden file only on purpose: ``python -m uts.rest_api.test_recorder_golden --write``.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import unittest
from pathlib import Path
from typing import Any, Callable

from daist.models.locust import HdrSummary, encode_histogram
from daist.models.serde import to_data
from daist.rest_api.answers import AnswerCheck
from daist.rest_api.recorder import Recorder

GOLDEN = Path(__file__).parent / "golden" / "recorder.json"
WINDOW_START = 1_722_278_981.25   # not on an interval boundary (intervals are 2 s of the epoch)
WINDOW_S = 45.0
BLOCK_S = 4.5
ENDPOINTS = [("get master configuration", "GET"), ("get experiments", "GET"),
             ("get trial", "GET"), ("create experiment", "POST"), ("login", "POST"),
             ("not in the catalogue", "GET")]


class HTTPError(Exception):
    pass


class CatchResponseError(Exception):  # Locust's name for a failure the user marked itself
    pass


FAILURES: list[Callable[[], Any]] = [
    lambda: RuntimeError("boom in <object at 0x7f00ab12>"),
    lambda: HTTPError("500 Server Error: Internal Server Error for url: http://127.0.0.1:1/x"),
    lambda: ConnectionRefusedError(111, "refused"),
    lambda: CatchResponseError("invalid response: no 'experiments' key"),
    lambda: "timeout"]


def events(seed: int, count: int) -> list[dict[str, Any]]:
    """``count`` request events from 5 s before the window to 5 s after it, from a fixed
    integer sequence (no library's random generator: the same on every Python)."""
    state = seed
    span = WINDOW_S + 10.0

    def draw(n: int) -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        return (state >> 33) % n
    out = []
    for i in range(count):
        start = WINDOW_START - 5.0 + span * i / count
        if i % 97 == 0:      # exactly on a block boundary, or on an interval boundary
            start = WINDOW_START + BLOCK_S * draw(10) if i % 2 else 2.0 * (start // 2.0)
        name, method = ENDPOINTS[draw(len(ENDPOINTS))]
        latency = draw(200_000) / 1000.0 + 0.05
        if i % 211 == 0:
            latency = (0.0, 4e9, 0.0004)[draw(3)]          # clamped into the HDR range
        context: dict[str, Any] = {}
        if i % 5 == 0:
            context["intended"] = start - (draw(40) - 5) / 1000.0   # up to 34 ms late, or early
        failure = FAILURES[draw(len(FAILURES))]() if draw(13) == 0 else None
        out.append({"request_type": method, "name": name, "response_time": latency,
                    "response_length": 100, "exception": failure, "context": context,
                    "start_time": start})
    return out


def fire(recorder: Recorder, batch: list[dict[str, Any]]) -> None:
    for event in batch:
        recorder.on_request(**event)


def entries(recorder: Recorder) -> list[Any]:
    return [to_data(recorder.entry(name, method, window_s=WINDOW_S))
            for name, method in recorder.keys()]


def history(recorder: Recorder) -> Any:
    return to_data(recorder.history(warmup_start=WINDOW_START - 3.0, window_start=WINDOW_START,
                                   window_end=WINDOW_START + WINDOW_S))


def step(tally: Any) -> dict[str, Any]:
    return {"requests": tally.requests, "failures": tally.failures,
            "hdr": encode_histogram(tally.histogram), "summary": to_data(HdrSummary.of(tally.histogram))}


def split(batch: list[dict[str, Any]], at: float) -> tuple[list, list]:
    return ([e for e in batch if e["start_time"] < at], [e for e in batch if e["start_time"] >= at])


def in_process() -> dict[str, Any]:
    """A local run with blocks and the samples file; users counted in the history."""
    with tempfile.TemporaryDirectory(prefix="daist-golden-") as folder:
        path = Path(folder) / "samples.csv"
        recorder = Recorder(samples_path=path, block_s=BLOCK_S)
        before, rest = split(events(1, 12_000), WINDOW_START)
        inside, after = split(rest, WINDOW_START + WINDOW_S)
        fire(recorder, before)
        recorder.open_window(WINDOW_START)
        fire(recorder, inside)
        recorder.close_window(WINDOW_START + WINDOW_S)
        fire(recorder, after)
        for offset in range(-5, 50, 3):
            recorder.intervals.note_users(WINDOW_START + offset, 10 + offset)
        recorder.close()
        samples = path.read_text()
    return {"entries": entries(recorder), "late_sends": recorder.late_sends,
            "history": history(recorder), "samples": {
                "lines": samples.count("\n"), "head": samples.splitlines()[:4],
                "sha256": hashlib.sha256(samples.encode()).hexdigest()}}


def sweep() -> dict[str, Any]:
    """Two steps of a sweep (no blocks), each with its own window and step tally."""
    recorder = Recorder(steps=True)
    batch = events(2, 8_000)
    middle = WINDOW_START + WINDOW_S / 2
    first, second = split(batch, middle)
    recorder.take_step()
    recorder.open_window(WINDOW_START)
    fire(recorder, first)
    recorder.close_window(middle - 1.0)
    steps = [step(recorder.take_step())]
    recorder.open_window(middle)
    fire(recorder, second)
    recorder.close_window(WINDOW_START + WINDOW_S)
    steps.append(step(recorder.take_step()))
    return {"steps": steps, "entries": entries(recorder), "late_sends": recorder.late_sends,
            "history": history(recorder)}


def distributed() -> dict[str, Any]:
    """Two workers drained into a master every 1,500 events, as their stats reports are."""
    master = Recorder(block_s=BLOCK_S)
    workers = [Recorder(), Recorder()]
    for index, worker in enumerate(workers):
        batch = events(3 + index, 9_000)
        before, rest = split(batch, WINDOW_START)
        fire(worker, before)
        master.merge(worker.drain())
        worker.block_s = BLOCK_S                   # what the window message sets
        worker.open_window(WINDOW_START)
        for at in range(0, len(rest), 1_500):
            chunk = rest[at:at + 1_500]
            inside, late = split(chunk, WINDOW_START + WINDOW_S + 1.0)
            fire(worker, inside)
            if late:                               # the collect message: closes, then reports
                worker.close_window(WINDOW_START + WINDOW_S)
                fire(worker, late)
            master.merge(worker.drain())
    master.open_window(WINDOW_START)
    master.close_window(WINDOW_START + WINDOW_S)
    return {"entries": entries(master), "late_sends": master.late_sends,
            "history": history(master)}


ANSWERS = [("get experiments", b'{"experiments": [], "pagination": {}}'),
           ("get experiments", b'{"pagination": {}}'),
           ("get experiments", b"<!doctype html><html>proxy error</html>"),
           ("get master configuration", b'{"version": "0.38.1"}'),
           ("get master configuration", b'{"version": '),
           ("get master configuration", b""),
           ("get trial", b'  {"trial": {"id": 1}}'),
           ("get trial", b"[1, 2]"),
           ("get trial logs", b'{"result": {"id": 1}}\n{"result": {"id": 2}}\n'),
           ("get trial logs", b""),
           ("get trial logs", b'{"error": {}}\n'),
           ("logout", b"{}"),
           ("unknown endpoint", b'{"a": 1}')]


def answer_checks() -> dict[str, Any]:
    out = {}
    for every in (1, 3, 10):
        check = AnswerCheck(every=every)
        out[str(every)] = [check(name, body) for _ in range(12) for name, body in ANSWERS]
    return out


def outputs() -> dict[str, Any]:
    return json.loads(json.dumps({"in_process": in_process(), "sweep": sweep(),
                                  "distributed": distributed(), "answers": answer_checks()}))


class TestSameOutputs(unittest.TestCase):
    maxDiff = 2000

    @classmethod
    def setUpClass(cls) -> None:
        cls.golden = json.loads(GOLDEN.read_text())
        cls.now = outputs()

    def test_the_inputs_reach_every_case(self):
        run = self.now["in_process"]
        self.assertGreater(run["late_sends"], 0)
        self.assertTrue(any(e["failures"] for e in run["entries"]))
        self.assertTrue(any(len(e["blocks"]) >= 10 for e in run["entries"]))
        self.assertIn("other", {s for i in run["history"]["intervals"] for s in i["scopes"]})
        self.assertEqual(len(self.now["sweep"]["steps"]), 2)

    def test_in_process_run(self):
        self.assertOutputs("in_process")

    def test_sweep(self):
        self.assertOutputs("sweep")

    def test_workers_merged_on_the_master(self):
        self.assertOutputs("distributed")

    def test_answer_checks(self):
        self.assertEqual(self.now["answers"], self.golden["answers"])

    def assertOutputs(self, case: str) -> None:
        now, golden = self.now[case], self.golden[case]
        self.assertEqual(sorted(now), sorted(golden))
        for key in golden:   # part by part: a difference names its part
            if key == "entries":
                self.assertEqual([(e["test_name"], e["method"]) for e in now[key]],
                                 [(e["test_name"], e["method"]) for e in golden[key]])
                for mine, theirs in zip(now[key], golden[key]):
                    self.assertEqual(mine, theirs, f"{case}: {mine['test_name']}")
            else:
                self.assertEqual(now[key], golden[key], f"{case}: {key}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(outputs(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN}")
    else:
        unittest.main()
