import unittest
from dataclasses import dataclass, field

from daist.models import serde
from daist.models.timestamp import Timestamp
from uts.models.factories import Point, Sample


@dataclass
class Holder:
    required: int
    optional: Point | None = None
    hidden: str = field(default="memory only", metadata={"serialize": False})


class TestSerde(unittest.TestCase):
    def test_round_trip_of_every_field_kind(self):
        sample = Sample(ratio=0.25)
        data = sample.to_data()
        self.assertEqual(data["when"], {"unix": 1722278982.5, "iso": "2024-07-29T18:49:42.500000Z"})
        self.assertEqual(data["by_level"], {"1": 0.5, "32": 12.25})
        self.assertEqual(Sample.from_data(data), sample)

    def test_unknown_keys_are_ignored_and_defaults_fill_missing_ones(self):
        loaded = Sample.from_data({"name": "n", "added_in_a_later_version": 1})
        self.assertEqual((loaded.name, loaded.count), ("n", 3))

    def test_errors_name_the_field_path(self):
        with self.assertRaisesRegex(serde.DataError, r"Sample\.points\[1\]\.x: expected float"):
            Sample.from_data({"points": [{"x": 1}, {"x": "fast"}]})
        with self.assertRaisesRegex(serde.DataError, "missing required key 'required'"):
            serde.from_data(Holder, {})

    def test_optional_and_memory_only_fields(self):
        holder = serde.from_data(Holder, {"required": "7", "optional": None, "hidden": "x"})
        self.assertEqual(holder, Holder(required=7))
        self.assertNotIn("hidden", serde.to_data(Holder(1)))

    def test_custom_from_data_is_used_for_nested_values(self):
        self.assertEqual(serde.from_data(Timestamp, "2024-07-29T18:49:42Z").unix, 1722278982.0)
        with self.assertRaises(serde.DataError):
            serde.from_data(Timestamp, "not a time")
