import unittest

from daist.models.timestamp import Timestamp


class TestTimestamp(unittest.TestCase):
    def test_spellings(self):
        stamp = Timestamp(1722278982.123456)
        self.assertEqual(stamp.iso, "2024-07-29T18:49:42.123456Z")
        self.assertEqual(stamp.iso_seconds, "2024-07-29T18:49:42Z")
        self.assertEqual(stamp.path_stamp, "2024-07-29T18-49-42Z")

    def test_parse_every_spelling(self):
        for text in ("2024-07-29T18:49:42.000000Z", "2024-07-29T18:49:42Z", "2024-07-29T18-49-42Z"):
            self.assertEqual(Timestamp.parse(text).unix, 1722278982.0, text)
        with self.assertRaises(ValueError):
            Timestamp.parse("yesterday")

    def test_data_round_trip_keeps_the_stored_time(self):
        # The original daist read stored times back as "now"; ours must return what was stored.
        stamp = Timestamp(1000.25)
        self.assertEqual(Timestamp.from_data(stamp.to_data()), stamp)
        self.assertEqual(Timestamp.from_data({"unix": 1722278982}).unix, 1722278982.0)  # v1
        self.assertEqual(Timestamp.from_data("2024-07-29T18:49:42Z").unix, 1722278982.0)

    def test_rejects_non_numbers(self):
        with self.assertRaises(TypeError):
            Timestamp("12")
        with self.assertRaises(ValueError):
            Timestamp.from_data({"when": 1})
