"""The CPU profile: the stand-in's /debug/pprof/profile is a gzipped profile.proto message
(checked with the protobuf library against the published schema, independently of daist's
decoder), daist's top table reads it, and a load test saves the raw profile and the table."""
from __future__ import annotations

import gzip
import threading
import unittest

import requests
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from daist.evidence.pprof import ProfileFormatError, top_functions
from daist.models.evidence import ProfileTop
from uts.harness import remove_results, run_daist
from uts.rest_api.loadruns import MODULE, case_id, load_env
from uts.standin.support import MasterTestCase

F = descriptor_pb2.FieldDescriptorProto
SCHEMA = {  # perftools.profiles (profile.proto): the fields a CPU profile uses
    "Profile": [("sample_type", 1, F.TYPE_MESSAGE, "ValueType", True),
                ("sample", 2, F.TYPE_MESSAGE, "Sample", True),
                ("location", 4, F.TYPE_MESSAGE, "Location", True),
                ("function", 5, F.TYPE_MESSAGE, "Function", True),
                ("string_table", 6, F.TYPE_STRING, None, True),
                ("time_nanos", 9, F.TYPE_INT64, None, False),
                ("duration_nanos", 10, F.TYPE_INT64, None, False),
                ("period_type", 11, F.TYPE_MESSAGE, "ValueType", False),
                ("period", 12, F.TYPE_INT64, None, False)],
    "ValueType": [("type", 1, F.TYPE_INT64, None, False), ("unit", 2, F.TYPE_INT64, None, False)],
    "Sample": [("location_id", 1, F.TYPE_UINT64, None, True),
               ("value", 2, F.TYPE_INT64, None, True)],
    "Location": [("id", 1, F.TYPE_UINT64, None, False), ("line", 4, F.TYPE_MESSAGE, "Line", True)],
    "Line": [("function_id", 1, F.TYPE_UINT64, None, False), ("line", 2, F.TYPE_INT64, None, False)],
    "Function": [("id", 1, F.TYPE_UINT64, None, False), ("name", 2, F.TYPE_INT64, None, False),
                 ("system_name", 3, F.TYPE_INT64, None, False),
                 ("filename", 4, F.TYPE_INT64, None, False)],
}


def profile_class():
    file = descriptor_pb2.FileDescriptorProto(name="uts_profile.proto", package="uts.profiles",
                                              syntax="proto3")
    for name, fields in SCHEMA.items():
        message = file.message_type.add(name=name)
        for field_name, number, kind, type_name, repeated in fields:
            message.field.add(name=field_name, number=number, type=kind,
                              type_name=f".uts.profiles.{type_name}" if type_name else None,
                              label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("uts.profiles.Profile"))


def hold_for_profile(release: threading.Event) -> None:
    """A frame the profile must show: this thread waits here while it is taken."""
    release.wait(30)


class TestStandinProfile(MasterTestCase):
    def fetch(self, **params) -> requests.Response:
        return self.login().get(f"{self.url}/debug/pprof/profile", params=params, timeout=60)

    def test_the_profile_is_profile_proto_and_names_a_waiting_function(self) -> None:
        release = threading.Event()
        holder = threading.Thread(target=hold_for_profile, args=(release,))
        holder.start()
        try:
            response = self.fetch(seconds=1)
        finally:
            release.set()
            holder.join(30)
        self.assertEqual(response.status_code, 200, response.text)
        message = profile_class()()
        message.ParseFromString(gzip.decompress(response.content))  # the protobuf library's parse
        strings = list(message.string_table)
        self.assertEqual(strings[0], "")
        self.assertEqual([(strings[t.type], strings[t.unit]) for t in message.sample_type],
                         [("samples", "count"), ("cpu", "nanoseconds")])
        self.assertEqual((strings[message.period_type.type], message.period), ("cpu", 10_000_000))
        self.assertTrue(message.sample)
        self.assertIn("hold_for_profile", strings)
        top = top_functions(response.content, top=1000)
        self.assertEqual(top.sample_type, "cpu/nanoseconds")
        held = [f for f in top.functions if f.name == "hold_for_profile"]
        self.assertEqual(len(held), 1)
        self.assertGreater(held[0].cum_ms, 0)
        self.assertTrue(held[0].filename.endswith("test_pprof.py"))
        total = sum(v.value[1] for v in message.sample) / 1e6
        self.assertAlmostEqual(top.total_ms, total, places=3)

    def test_bad_seconds_are_refused_and_the_login_is_needed(self) -> None:
        self.assertEqual(self.fetch(seconds="x").status_code, 400)
        self.assertEqual(self.fetch(seconds=0).status_code, 400)
        self.assertEqual(requests.get(f"{self.url}/debug/pprof/profile?seconds=1",
                                      timeout=30).status_code, 401)


class TestDecoder(unittest.TestCase):
    def test_what_is_not_a_profile_names_itself(self) -> None:
        for raw in (b"not a profile", gzip.compress(b"\x0a\xff"), b"\x1f\x8b\x08broken"):
            with self.subTest(raw=raw[:12]), self.assertRaises(ProfileFormatError):
                top_functions(raw)


class TestLoadTestProfile(unittest.TestCase):
    def test_a_load_test_saves_the_raw_profile_and_its_top_table(self) -> None:
        env = load_env(users=2, run_time=4)
        env["DAIST_EVIDENCE_PROFILE_S"] = "2"
        run = run_daist(f"{MODULE}.TestExperimentCheckpoints", env=env, timeout=240)
        self.addCleanup(remove_results, run)
        self.assertEqual(run.returncode, 0, run.output)
        test_id = case_id("TestExperimentCheckpoints")
        (raw,) = [p for p, meta in ((run.results_dir / rel, m) for rel, m in run.result.files.items())
                  if meta.test_id == test_id and p.suffix == ".pprof"]
        (table,) = run.result.files_of("ProfileTop", test_id=test_id)
        top = ProfileTop.open(table)
        self.assertEqual((top.problem, top.seconds, top.profile_file), ("", 2, raw.name))
        self.assertEqual(top_functions(raw.read_bytes()).functions, top.functions)
        self.assertTrue(top.functions)
        self.assertIn("CPU profile (2 s mid-window", run.output)


if __name__ == "__main__":
    unittest.main()
