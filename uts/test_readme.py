"""README.md stays true: its configuration table matches the declared settings, and the
commands it gives exist."""
import re
import unittest

from daist.framework import paths
from daist.framework.settings import settings_table
from daist.models import environment

README = (paths.ROOT / "README.md").read_text()


class TestReadme(unittest.TestCase):
    def test_every_setting_is_in_the_table_with_its_variable_and_default(self):
        rows = {m[1]: (m[2], m[3]) for m in re.finditer(
            r"^\| `(\[[^`]+)` \| `([A-Z0-9_]+)` \| (`[^`]*`)? ?\|", README, flags=re.MULTILINE)}
        declared = settings_table()
        self.assertEqual(sorted(rows), sorted(key for key, *_ in declared))
        for key, env, default, _ in declared:
            self.assertEqual(rows[key][0], env, key)
            self.assertEqual((rows[key][1] or "").strip("`"), default, key)

    def test_every_environment_variable_is_mentioned(self):
        for variable in environment.variables():
            self.assertIn(variable.name, README)

    def test_the_two_set_up_commands_come_first(self):
        block = README.split("## Set up and run", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
        commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
        self.assertEqual(len(commands), 2)
        self.assertTrue(commands[0].endswith("./run.py daist.rest_api.test_locust.TestRO"))
        self.assertEqual(commands[1], "./uts.py")
        self.assertIn("./uts.py", (paths.ROOT / ".ci" / "run").read_text())

    def test_exit_statuses_match_the_cli(self):
        from daist.framework.main import EPILOG
        readme = README.split("Exit status of `./run.py`:", 1)[1].split("\n\n", 1)[0]
        documented = set(re.findall(r"\b(\d+) [a-z(]", " ".join(readme.split())))
        declared = set(re.findall(r"\b(\d+) [a-z(]", " ".join(EPILOG.split("Exit status:", 1)[1].split())))
        self.assertEqual(documented, declared)
        self.assertIn("5", declared)  # no test ran


if __name__ == "__main__":
    unittest.main()
