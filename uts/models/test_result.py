import json
import shutil
import tempfile
import threading
import unittest
from pathlib import Path

from daist.models.base import Artifact, Format, FormatError
from daist.models.result import SCHEMA_VERSION, FileMeta, Result, TestRecord, test_key
from daist.models.timestamp import Timestamp
from uts.models.factories import Sample, make_result

GOLDEN = Path(__file__).parent / "golden"


class TestTestKey(unittest.TestCase):
    def test_class_and_method_of_a_unittest_id(self):
        self.assertEqual(test_key("daist.rest_api.test_locust.TestRO.test"), "TestRO.test")
        self.assertEqual(test_key("Lonely"), "Lonely")
        self.assertEqual(test_key(None), "(no test)")


class TestResult(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)
        self.result = make_result(self.dir)

    def reload(self) -> Result:
        return Result.open(self.result.manifest_path)

    def test_manifest_name_and_round_trip(self):
        self.assertEqual(self.result.manifest_path.name, "Result-localhost-2024-07-29T18-49-42Z.json")
        self.result.tests["a.B.test"] = TestRecord(status="failed", duration_s=1.5, message="slow")
        self.result.save_manifest()
        loaded = self.reload()
        self.assertEqual(loaded.to_data(), self.result.to_data())
        self.assertEqual(loaded.directory, self.dir.resolve())
        self.assertEqual(json.loads(self.result.manifest_path.read_text())["schema_version"],
                         SCHEMA_VERSION)

    def test_add_saves_records_and_updates_the_manifest(self):
        path = self.result.add(Sample(count=9), test_id="pkg.TestX.test", tags=("TestX.test",))
        self.assertTrue(path.name.startswith("Sample-TestX.test-"))
        meta = self.reload().files[path.name]
        self.assertEqual((meta.classname, meta.test_id), ("Sample", "pkg.TestX.test"))
        self.assertEqual(Artifact.open(path).count, 9)

    def test_same_class_tags_and_second_get_distinct_names(self):
        first = self.result.add(Sample(), tags=("t",))
        second = self.result.add(Sample(), tags=("t",), subdir="")
        third = self.result.add(Sample(), tags=("t",), subdir="metrics")
        self.assertNotEqual(first, second)
        self.assertEqual(third.parent.name, "metrics")
        self.assertEqual(len(self.reload().files), 3)
        self.assertIn("metrics/" + third.name, self.reload().files)

    def test_files_of_filters_by_class_and_test(self):
        self.result.add(Sample(), test_id="a.T.one", tags=("one",))
        self.result.add(Sample(), test_id="a.T.two", tags=("two",))
        self.assertEqual(len(self.result.files_of("Sample")), 2)
        self.assertEqual(len(self.result.files_of("Sample", test_id="a.T.two")), 1)

    def test_concurrent_adds_lose_nothing(self):
        threads = [threading.Thread(target=self.result.add, args=(Sample(count=i),),
                                    kwargs={"tags": ("same",)}) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(self.reload().files), 20)

    def test_the_original_daists_manifest_still_loads(self):
        loaded = Result.open(GOLDEN / "Result-localhost-2024-07-29T18-49-42Z.json")
        self.assertEqual(loaded.schema_version, 1)
        self.assertEqual(loaded.start_time, Timestamp(1722278982))
        self.assertEqual(loaded.end_time.unix, 1722279300.0)
        self.assertEqual(loaded.version.determined.server, "0.34.0")
        self.assertEqual(loaded.files["LocustStatsList-TestRO.test.pkl"].test_id,
                         "daist.rest_api.test_locust.TestRO.test")
        self.assertEqual(loaded.host_label, "localhost")

    def test_unknown_schema_version_is_refused(self):
        path = self.dir / "Result-x-2024-07-29T18-49-42Z.json"
        path.write_text(json.dumps({"classname": "Result", "schema_version": 99}))
        with self.assertRaisesRegex(FormatError, "schema_version 99 not supported"):
            Result.open(path)

    def test_file_meta_times_are_what_was_stored(self):
        meta = FileMeta(classname="X", time=Timestamp(5.0))
        self.result.files["x.json"] = meta
        self.result.save_manifest()
        self.assertEqual(self.reload().files["x.json"].time.unix, 5.0)

    def test_record_and_copy_in(self):
        source = self.dir.parent / f"{self.dir.name}-outside.csv"
        source.write_text("a,b\n1,2\n")
        self.addCleanup(source.unlink)
        copied = self.result.copy_in(source, classname="CsvTable", tags=("locust",),
                                     test_id="t.T.test")
        self.assertEqual(copied.read_text(), "a,b\n1,2\n")
        self.assertEqual(self.reload().files[copied.name].classname, "CsvTable")
        with self.assertRaises(ValueError):
            self.result.record(source, classname=None)  # outside the results directory


if __name__ == "__main__":
    unittest.main()
