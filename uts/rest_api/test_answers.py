import json
import unittest
from unittest import mock

from daist.rest_api.answers import FULL_PARSE_MAX_BYTES, AnswerCheck, problem
from daist.rest_api.catalogue import ANSWERS, BYTES, CATALOGUE, STREAM


class TestProblem(unittest.TestCase):
    def test_the_first_byte_is_always_checked(self):
        html = b"<!doctype html><html>...</html>"
        self.assertEqual(problem(html, "experiments", full=False),
                         "invalid response: not a JSON object (starts '<!doctype html><html>...')")
        self.assertEqual(problem(b"", "", full=False), "invalid response: not a JSON object (starts 'empty')")
        self.assertEqual(problem(b"[1]", "", full=True), "invalid response: not a JSON object (starts '[1]')")
        self.assertIsNone(problem(b'  {"experiments": []}', "experiments", full=False))

    def test_a_full_check_parses_and_wants_the_key(self):
        self.assertIsNone(problem(b'{"experiments": [], "pagination": {}}', "experiments", full=True))
        self.assertEqual(problem(b'{"pagination": {}}', "experiments", full=True),
                         "invalid response: no 'experiments' key")
        self.assertIsNone(problem(b'{"pagination": {}}', "experiments", full=False))  # sampled out
        self.assertEqual(problem(b'{"experiments": [', "experiments", full=True),
                         "invalid response: malformed JSON")
        self.assertIsNone(problem(b"{}", "", full=True))

    def test_large_answers_are_checked_by_their_bytes(self):
        items = b",".join(b'{"id": %d, "name": "experiment"}' % i for i in range(4000))
        body = b'{"experiments": [' + items + b'], "pagination": {}}'
        self.assertGreater(len(body), FULL_PARSE_MAX_BYTES)
        self.assertIsNone(problem(body, "experiments", full=True))
        self.assertEqual(problem(body, "trials", full=True), "invalid response: no 'trials' key")
        truncated = body[:len(body) // 2].rstrip(b"}")
        self.assertEqual(problem(truncated, "experiments", full=True), "invalid response: malformed JSON")

    def test_streams_and_files(self):
        lines = b'{"result": {"id": 1}}\n{"result": {"id": 2}}\n'
        self.assertIsNone(problem(lines, STREAM, full=True))
        self.assertIsNone(problem(b"", STREAM, full=True))          # no entries at all
        self.assertEqual(problem(b'{"error": {}}\n', STREAM, full=True),
                         "invalid response: no 'result' key")
        self.assertIsNone(problem(b"\x1f\x8b\x08 a tar", BYTES, full=True))

    def test_the_catalogue_says_what_every_endpoint_answers(self):
        self.assertEqual(sorted(ANSWERS), sorted(t.test_name for t in CATALOGUE))
        self.assertEqual(ANSWERS["get experiments"], "experiments")


class TestAnswerCheck(unittest.TestCase):
    def test_first_answer_and_every_nth_are_parsed_in_full(self):
        check = AnswerCheck(every=3)
        missing_key = b'{"pagination": {}}'
        found = [check("get experiments", missing_key) for _ in range(7)]
        self.assertEqual([f is not None for f in found], [True, False, False, True, False, False, True])
        self.assertIsNotNone(check("get agents", missing_key))  # counted per endpoint

    def test_an_answer_equal_to_the_last_parsed_takes_its_verdict_unparsed(self):
        AnswerCheck.last_full.clear()
        first, second = AnswerCheck(every=1), AnswerCheck(every=1)   # two users, one process
        good, bad = b'{"experiments": [], "pagination": {}}', b'{"pagination": {}}'
        with mock.patch("daist.rest_api.answers.json.loads", wraps=json.loads) as parse:
            self.assertIsNone(first("get experiments", good))
            self.assertIsNone(second("get experiments", bytes(bytearray(good))))
            self.assertEqual(parse.call_count, 1)
            self.assertEqual(second("get experiments", bad), "invalid response: no 'experiments' key")
            self.assertEqual(first("get experiments", bytes(bytearray(bad))),
                             "invalid response: no 'experiments' key")
            self.assertEqual(parse.call_count, 2)
            self.assertIsNone(first("get experiments", good))      # a changed answer: parsed
            self.assertEqual(parse.call_count, 3)
            items = b",".join(b'{"id": %d}' % i for i in range(20_000))
            large = b'{"experiments": [' + items + b']}'
            self.assertIsNone(first("get experiments", large))     # by its bytes, not kept
            self.assertEqual(AnswerCheck.last_full["get experiments"][0], good)


if __name__ == "__main__":
    unittest.main()
