import os
import shutil
import tempfile
import unittest
from pathlib import Path

from daist.models.base import (MAX_ARTIFACT_BYTES, Artifact, ArtifactName, CsvTable, Figure,
                               Format, FormatError, TextDocument, artifact_class, open_artifact)
from daist.models.config import ConfigFile
from daist.models.result import Result
from daist.models.timestamp import Timestamp
from uts.models.factories import Sample

STAMP = Timestamp(1722278982.0)


class TestArtifactNames(unittest.TestCase):
    def test_zero_one_and_several_tags(self):
        cases = {(): "Sample-2024-07-29T18-49-42Z.json",
                 ("TestRO.test",): "Sample-TestRO.test-2024-07-29T18-49-42Z.json",
                 ("TestRO.test", "write", "32"): "Sample-TestRO.test-write-32-2024-07-29T18-49-42Z.json"}
        for tags, expected in cases.items():
            name = ArtifactName("Sample", tags, STAMP, Format.JSON)
            self.assertEqual(name.filename, expected)
            self.assertEqual(ArtifactName.parse(expected), name)

    def test_tags_cannot_break_the_name(self):
        name = ArtifactName("Sample", ("a-b", "c/d e"), STAMP, Format.TXT)
        self.assertEqual(name.filename, "Sample-a_b-c_d_e-2024-07-29T18-49-42Z.txt")

    def test_host_names_with_dots_and_names_without_stamp(self):
        parsed = ArtifactName.parse("Result-127.0.0.1-2024-07-29T18-49-42Z.json")
        self.assertEqual((parsed.classname, parsed.tags), ("Result", ("127.0.0.1",)))
        bare = ArtifactName.parse("LocustStatsList-TestRO.test.json")
        self.assertEqual((bare.tags, bare.time, bare.format), (("TestRO.test",), None, Format.JSON))

    def test_filename_defaults_to_now_and_the_class_format(self):
        name = ArtifactName.parse(ConfigFile.filename(tags=("session",)))
        self.assertEqual((name.classname, name.format), ("ConfigFile", Format.CONF))
        self.assertLess(abs(name.time.unix - Timestamp.now().unix), 5)

    def test_unknown_suffix(self):
        with self.assertRaisesRegex(FormatError, "unknown suffix 'exe'"):
            Format.of_path("Sample-x.exe")
        self.assertIs(Format.of_path("a.yml"), Format.YAML)

    def test_pickles_are_refused_by_name(self):
        for name in ("LocustStatsList-TestRO.test.pkl", "Sample-x.PICKLE"):
            with self.assertRaisesRegex(FormatError, "a pickle: never read"):
                ArtifactName.parse(name)  # the original daist's names: never opened


class TestClassnameLookup(unittest.TestCase):
    def test_lookup_by_name(self):
        self.assertIs(artifact_class("Sample"), Sample)
        self.assertIs(artifact_class("Result"), Result)
        self.assertIs(artifact_class("ConfigFile"), ConfigFile)
        with self.assertRaisesRegex(FormatError, "no artifact class named 'Nope'"):
            artifact_class("Nope")


class TestRoundTrips(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir)

    def path(self, cls, fmt, *tags):
        return self.dir / ArtifactName(cls.__name__, tags, STAMP, fmt).filename

    def test_data_formats(self):
        sample = Sample(ratio=0.5)
        for fmt in (Format.JSON, Format.YAML):
            with self.subTest(fmt=fmt):
                path = sample.save(self.path(Sample, fmt))
                self.assertEqual(Sample.open(path), sample)
                self.assertEqual(Artifact.open(path), sample)  # by classname in the file name

    def test_text_formats(self):
        documents = {Format.TXT: TextDocument("plain\ntext\n"),
                     Format.HTML: TextDocument("<html><body>é</body></html>"),
                     Format.CSV: CsvTable([["name", "p95"], ["get, quoted", "12.5"]]),
                     Format.CONF: ConfigFile({"locust": {"users": "10"}, "db": {"X": ""}})}
        for fmt, document in documents.items():
            with self.subTest(fmt=fmt):
                path = document.save(self.path(type(document), fmt))
                self.assertEqual(type(document).open(path), document)
        self.assertEqual(CsvTable.open(self.path(CsvTable, Format.CSV)).records(),
                         [{"name": "get, quoted", "p95": "12.5"}])

    def test_png(self):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        figure, axes = plt.subplots(figsize=(2, 1), dpi=50)
        axes.plot([1, 2, 3])
        png = Figure.from_matplotlib(figure)
        plt.close(figure)
        path = png.save(self.path(Figure, Format.PNG, "plot"))
        self.assertEqual(Figure.open(path), png)
        self.assertEqual(png.size, (100, 50))
        # a PNG named after a data class (a plot of a Sample) opens as a Figure
        renamed = self.path(Sample, Format.PNG, "plot")
        os.rename(path, renamed)
        self.assertIsInstance(open_artifact(renamed), Figure)

    def test_refuses_to_overwrite_unless_asked(self):
        path = self.path(Sample, Format.JSON)
        Sample(count=1).save(path)
        with self.assertRaises(FileExistsError):
            Sample(count=2).save(path)
        self.assertEqual(Sample.open(path).count, 1)
        Sample(count=2).save(path, replace=True)
        self.assertEqual(Sample.open(path).count, 2)
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), [path.name])  # no temp files

    def test_unsupported_formats_are_refused(self):
        with self.assertRaisesRegex(FormatError, "Sample cannot be saved as .png"):
            Sample().save(self.path(Sample, Format.PNG))
        with self.assertRaisesRegex(FormatError, "cannot be read from .txt"):
            Sample.open(self.path(Sample, Format.TXT))

    def test_malformed_files_name_the_file(self):
        for fmt, payload in ((Format.JSON, b'{"name": "trunc'), (Format.YAML, b"a: [1"),
                             (Format.JSON, b"[" * 100_000), (Format.JSON, b'{"count": "x"}'),
                             (Format.YAML, b"a: &x [1]\nb: *x\n")):
            with self.subTest(fmt=fmt, payload=payload):
                path = self.path(Sample, fmt)
                path.write_bytes(payload)
                with self.assertRaisesRegex(FormatError, path.name):
                    Sample.open(path)
        with self.assertRaisesRegex(FormatError, "not a PNG"):
            path = self.path(Figure, Format.PNG)
            path.write_bytes(b"GIF89a....")
            Figure.open(path)

    def test_yaml_anchors_and_aliases_are_refused(self):
        path = self.path(Sample, Format.YAML)
        path.write_text("classname: Sample\nname: &n x\nlabel: *n\n")
        with self.assertRaisesRegex(FormatError, f"{path.name}: malformed Sample: YAML anchors"):
            Sample.open(path)

    def test_only_regular_files_up_to_the_cap_are_read(self):
        path = self.path(Sample, Format.JSON)
        with open(path, "wb") as handle:  # sparse: the size without the disk space
            handle.truncate(MAX_ARTIFACT_BYTES + 1)
        with self.assertRaisesRegex(FormatError, f"{path.name}: larger than 64 MiB: not read"):
            Sample.open(path)
        fifo = self.path(Sample, Format.JSON, "fifo")
        os.mkfifo(fifo)  # opening it would wait for a writer forever
        with self.assertRaisesRegex(FormatError, f"{fifo.name}: not a regular file"):
            Sample.open(fifo)

    def test_classname_in_content_must_match(self):
        path = self.path(Sample, Format.JSON)
        path.write_text('{"classname": "Result"}')
        with self.assertRaisesRegex(FormatError, "holds a Result, not a Sample"):
            Sample.open(path)


if __name__ == "__main__":
    unittest.main()
