import unittest

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


if __name__ == "__main__":
    unittest.main()
