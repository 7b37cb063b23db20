"""README.md stays true: its configuration table matches the declared settings, and the
commands it gives exist."""
import re
import unittest

from daist.framework import paths
from daist.framework.settings import settings_table
from daist.models import environment

README = (paths.ROOT / "README.md").read_text()
SETTINGS_DOC = (paths.ROOT / "docs" / "settings.md").read_text()
FIRST_SCREEN = 40
MAX_LINE = 100


def table_rows(text: str) -> dict[str, tuple[str, str, str]]:
    """``[section] key`` -> (variable, default, meaning) of a settings table's rows."""
    return {m[1]: (m[2], (m[3] or "").strip("`"), (m[4] or "").strip()) for m in re.finditer(
        r"^\| `(\[[^`]+)` \| `([A-Z0-9_]+)` \| (`[^`]*`)? ?\|(?: (.*) \|)?$", text,
        flags=re.MULTILINE)}


class TestReadme(unittest.TestCase):
    def test_every_setting_is_in_the_table_with_its_variable_and_default(self):
        declared = settings_table()
        for name, text in (("README.md", README), ("docs/settings.md", SETTINGS_DOC)):
            rows = table_rows(text)
            self.assertEqual(sorted(rows), sorted(key for key, *_ in declared), name)
            for key, env, default, meaning in declared:
                self.assertEqual(rows[key][:2], (env, default), f"{name}: {key}")
                if name != "README.md":
                    self.assertEqual(rows[key][2], meaning, f"{name}: {key}")

    def test_lines_are_wrapped_and_about_no_particular_machine(self):
        long = [n for n, line in enumerate(README.splitlines(), 1) if len(line) > MAX_LINE]
        self.assertEqual(long, [], f"README.md lines longer than {MAX_LINE} characters")
        self.assertIsNone(re.search(r"(?i)this (\(?shared\)? )?(2-core )?machine", README))

    def test_the_first_screen_has_the_commands_and_the_three_recipes(self):
        screen = "\n".join(README.splitlines()[:FIRST_SCREEN])
        self.assertEqual(screen.count("<!-- readme-test"), 2)
        self.assertEqual(screen.count("```"), 4)  # both marked blocks end on the first screen
        for recipe in ("-u 50 -r 10 -t 5m", "-H http://", "report compare"):
            self.assertIn(recipe, screen)

    def test_relative_links_lead_to_files(self):
        documents = [paths.ROOT / "README.md", *sorted((paths.ROOT / "docs").glob("*.md"))]
        for document in documents:
            for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", document.read_text()):
                with self.subTest(document=document.name, target=target):
                    self.assertTrue((document.parent / target).exists())

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
