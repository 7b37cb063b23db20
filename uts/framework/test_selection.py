"""``--list`` describes each test by the whole first sentence of its docstring, as plain text."""
import unittest

from daist.framework import paths
from daist.framework.selection import first_sentence, plain_text
from uts.framework.test_main import run_daist


class TestDescriptions(unittest.TestCase):
    def test_restructured_text_marks_go(self):
        self.assertEqual(plain_text("Reads ``[locust] steps`` and :class:`~daist.X`,\n   `y`."),
                         "Reads [locust] steps and daist.X, y.")

    def test_the_first_sentence_is_whole(self):
        self.assertEqual(first_sentence("Runs 0.38.1 (e.g. a fleet. Or not). Then more."),
                         "Runs 0.38.1 (e.g. a fleet. Or not).")
        self.assertEqual(first_sentence("No full stop at all"), "No full stop at all")
        self.assertEqual(first_sentence("Like k6, i.e. closed users. Rest."),
                         "Like k6, i.e. closed users.")

    def test_list_prints_whole_plain_sentences(self):
        done = run_daist("--list", "daist.rest_api.test_locust")
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = {line.split()[0]: line for line in done.stdout.splitlines()}
        self.assertTrue(lines["daist.rest_api.test_locust.TestScaling.test"].endswith(
            "The read-only mix as a user sweep ([locust] steps, step_time each): throughput and "
            "p95 against users, with the knee marked, as a PNG curve."))
        for line in lines.values():
            self.assertNotIn("``", line)
            self.assertFalse(line.endswith("..."), line)
            self.assertTrue(line.endswith("."), line)


if __name__ == "__main__":
    unittest.main()


class TestFullNames(unittest.TestCase):
    def test_a_full_name_outside_daist_discovers_nothing(self):
        """``uts.framework.fixtures...`` is a full name: expanding it must not discover every
        test, which imports Locust and patches the process with gevent (whose hub then prints
        a traceback for a Ctrl-C during a sleep)."""
        import subprocess
        import sys

        code = ("import sys\n"
                "from daist.framework.selection import expand_short_names\n"
                "names = expand_short_names(['-v', 'uts.framework.fixtures.cases.TestSleeps'], say=print)\n"
                "print(names, 'gevent' in sys.modules, 'locust' in sys.modules)\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120, cwd=str(paths.ROOT))
        self.assertEqual(done.stdout.strip(),
                         "['-v', 'uts.framework.fixtures.cases.TestSleeps'] False False", done.stderr)
