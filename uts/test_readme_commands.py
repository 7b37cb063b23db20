"""The README's quick start and recipes, as written: the fenced blocks marked
``<!-- readme-test`` are extracted and run against stand-ins, with only the durations shortened,
the example master URL replaced by a stand-in's and scratch paths moved to a temporary folder.
``./uts.py`` itself is left out (it is what runs this)."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from daist.framework import paths
from uts.harness import clean_environment
from uts.rest_api.loadruns import NO_P95
from daist.standin.launcher import StandinProcess

MARK = "<!-- readme-test"
LEFT_OUT = {"./uts.py"}
EXAMPLE_MASTER = "http://master.example.com:8080"
SHORT_RUN = "2s"
PASSWORD = "readme-Pw-7"


def marked_commands(text: str) -> list[str]:
    """The command lines of every ``sh`` block right after a marker (comments and left-out
    commands dropped)."""
    commands = []
    for block in re.findall(re.escape(MARK) + r"[^\n]*\n```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command and not command.startswith("#") and command not in LEFT_OUT:
                commands.append(line.rstrip())
    return commands


def shortened(command: str, *, master: str, scratch: Path) -> str:
    command = re.sub(r"(?<=-t )\S+", SHORT_RUN, command)
    command = re.sub(r"(?<=DAIST_LOCUST_RUN_TIME=)\S+", SHORT_RUN, command)
    command = command.replace(EXAMPLE_MASTER, master)
    return re.sub(r"(?<=[= ])runs/", f"{scratch}/runs/", command)


class TestReadmeCommands(unittest.TestCase):
    def test_the_marked_commands_are_found(self):
        commands = marked_commands((paths.ROOT / "README.md").read_text())
        self.assertTrue(commands[0].startswith("DAIST_LOCUST_RUN_TIME=30s ./run.py "))
        self.assertTrue(any(EXAMPLE_MASTER in c for c in commands))
        self.assertTrue(any("report compare" in c for c in commands))
        self.assertNotIn("./uts.py", "\n".join(commands))

    def test_the_quick_start_and_recipes_run_as_written(self):
        scratch = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, scratch, ignore_errors=True)
        standin = StandinProcess(scale=10, passwords={"admin": PASSWORD})
        master = standin.start()
        self.addCleanup(standin.stop)
        commands = marked_commands((paths.ROOT / "README.md").read_text())
        statuses = scratch / "statuses"
        script = "".join(f"{shortened(c, master=master, scratch=scratch)}\n"
                         f"echo $? >> {statuses}\n" for c in commands)
        # limits that a busy machine cannot break: these runs check the commands, not latency
        env = clean_environment({"DAIST_EXEC_OUTPUT": str(scratch / "results"),
                                 "DAIST_LOCUST_P95_MS": NO_P95, "DAIST_LOCUST_MAX_FAIL_RATIO": "1"})
        done = subprocess.run(["bash", "-c", script], input=PASSWORD + "\n", capture_output=True,
                              text=True, cwd=paths.ROOT, env=env, timeout=900)
        said = done.stdout[-3000:] + done.stderr[-3000:]
        codes = [int(code) for code in statuses.read_text().split()]
        self.assertEqual(len(codes), len(commands), said)
        for command, code in zip(commands, codes):
            with self.subTest(command=command):
                # compare: 1 is its verdict on two short runs (a regression), not an error
                self.assertIn(code, (0, 1) if "report compare" in command else (0,), said)
        runs = [m for m in (scratch / "runs").glob("*/*/*/Result-*.json")
                if not m.parent.is_symlink()]  # not again through `latest`
        self.assertEqual(len(runs), 2, said)  # before and after
        self.assertIn("daist: TestRO is daist.rest_api.test_locust.TestRO", done.stdout)
        self.assertIn(f"Target: standin at {master},", done.stdout)  # the -H recipe reached it


if __name__ == "__main__":
    unittest.main()
