"""Every command's ``--help`` is complete (every option explained, no sentence cut off) and
names the program as the user typed it."""
import argparse
import subprocess
import sys
import unittest

from daist import cli
from daist.framework import paths

PYTHON_M = {"run": "daist", "report": "daist.report", "db": "daist.db",
            "standin": "daist.standin", "seed": "daist.seed"}


def parsers_of(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from parsers_of(sub)


def build(command: str) -> argparse.ArgumentParser:
    from daist.db.cli import build_parser as db
    from daist.framework.main import build_parser as run
    from daist.report.cli import build_parser as report
    from daist.seed.cli import parser as seed
    from daist.standin.cli import build_parser as standin
    return {"run": run, "report": report, "db": db, "standin": standin, "seed": seed}[command]()


class TestHelpTexts(unittest.TestCase):
    def test_every_option_is_explained(self):
        for command in cli.COMMANDS:
            for parser in parsers_of(build(command)):
                for action in parser._actions:
                    if action.help == argparse.SUPPRESS or isinstance(
                            action, argparse._SubParsersAction):
                        continue
                    with self.subTest(command=command, option=action.option_strings or action.dest):
                        self.assertTrue(action.help, f"{parser.prog}: {action.dest} has no help")

    def test_descriptions_end_their_sentences(self):
        for command in cli.COMMANDS:
            description = " ".join((build(command).description or "").split())
            with self.subTest(command=command):
                self.assertTrue(description.endswith("."), description)

    def test_the_program_name_is_the_one_typed(self):
        script = [sys.executable, "-m", "daist.cli"]
        for command, module in PYTHON_M.items():
            with self.subTest(command=command):
                typed = subprocess.run([*script, command, "--help"], capture_output=True,
                                       text=True, cwd=paths.ROOT, timeout=120)
                self.assertEqual(typed.returncode, 0, typed.stderr)
                self.assertTrue(typed.stdout.startswith(f"usage: daist {command} "),
                                typed.stdout[:80])
                direct = subprocess.run([sys.executable, "-m", module, "--help"],
                                        capture_output=True, text=True, cwd=paths.ROOT, timeout=120)
                self.assertTrue(direct.stdout.startswith(f"usage: python -m {module} "),
                                direct.stdout[:80])
        run_py = subprocess.run([str(paths.ROOT / "run.py"), "--help"], capture_output=True,
                                text=True, cwd=paths.ROOT, timeout=120)
        self.assertTrue(run_py.stdout.startswith(f"usage: {paths.ROOT / 'run.py'} "),
                        run_py.stdout[:80])


if __name__ == "__main__":
    unittest.main()
