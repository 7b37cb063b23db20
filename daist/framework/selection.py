"""Which tests a run will run, decided before anything starts: test names (and ``-k``) resolve
to a unittest suite through unittest's own argument handling, a name that resolves to nothing is
one ``ConfigError`` line with a "did you mean", and ``--list`` describes the suite."""
from __future__ import annotations

import contextlib
import difflib
import importlib.util
import io
import re
import sys
import unittest
import unittest.loader
from pathlib import Path
from typing import Callable, Iterable, Iterator

from daist.framework import paths
from daist.framework.errors import ConfigError
from daist.framework.testcase import iter_tests

EXIT_NO_TESTS = 5
"""Exit status of a run in which no test ran (pytest's convention)."""


OPTIONS_WITH_VALUE = frozenset({"-k"})
"""unittest's options that take a value (the value is no test name)."""


class NoTestsError(ConfigError):
    """The names and ``-k`` patterns select no test at all: nothing would be measured."""

    exit_status = EXIT_NO_TESTS


class Selection(unittest.TestProgram):
    """unittest's program, stopped after it parsed its arguments and loaded the tests
    (``self.test``); the runner runs them once the session has started."""

    def __init__(self, argv: list[str]) -> None:
        self.loaded = False
        self.patterns = [value for option, value in zip(argv, argv[1:]) if option == "-k"]
        usage = io.StringIO()
        try:
            with contextlib.redirect_stderr(usage):
                super().__init__(module=None, argv=["python -m daist", *argv], exit=False)
        except SystemExit:  # unittest's usage error: its last line says what was wrong
            said = usage.getvalue().strip().splitlines()[-1:] or [" ".join(argv)]
            raise ConfigError(f"bad arguments: {said[0].split('error: ')[-1]}") from None

    def runTests(self) -> None:
        self.loaded = True

    def check(self, names: list[str]) -> unittest.TestSuite:
        """The loaded suite, or a ConfigError naming the first name that loaded nothing."""
        failed = [test for test in iter_tests(self.test)
                  if isinstance(test, unittest.loader._FailedTest)]
        if failed:
            raise ConfigError(_load_failure(failed[0], names))
        if self.test.countTestCases() == 0:
            patterns = " ".join(f"-k {p}" for p in self.patterns)
            raise NoTestsError(f"no test matches {' '.join(names) or 'the daist package'} "
                               f"{patterns}".rstrip() + " (./run.py --list shows the tests)")
        return self.test


def load_suite(unittest_args: list[str]) -> unittest.TestSuite:
    """Resolve names and options into the suite to run; ``ConfigError`` when one is wrong."""
    selection = Selection(unittest_args)
    values = {value for option, value in zip(unittest_args, unittest_args[1:]) if option == "-k"}
    names = [arg for arg in unittest_args if not arg.startswith("-") and arg not in values]
    suite = selection.check(names if unittest_args[:1] != ["discover"] else [])
    suite.program = selection  # its -v/-f/-b options, for the runner
    return suite


def _load_failure(test: unittest.TestCase, names: list[str]) -> str:
    name = test._testMethodName or test.id()
    requested = next((n for n in names if n == name or n.endswith("." + name)), name)
    exception = getattr(test, "_exception", None)
    reason = ([line.strip() for line in str(exception).splitlines() if line.strip()] or [""])[-1]
    parts = requested.split(".")
    missing = {f"No module named '{'.'.join(parts[:end])}'" for end in range(1, len(parts) + 1)}
    if isinstance(exception, ImportError) and not any(reason.endswith(m) for m in missing):
        return f"cannot load the tests of {requested}: {reason}"
    suggestion = suggest(requested, known_test_names())
    hint = f" (did you mean {suggestion}?)" if suggestion else " (./run.py --list shows the tests)"
    return f"no test named {requested!r}{hint}"


def expand_short_names(args: list[str], *, say: Callable[[str], None]) -> list[str]:
    """A name outside the ``daist`` package (``TestRO``, ``test_locust.TestRO``) stands for the
    one daist test whose full name ends with it, said through ``say``; a name that several tests end with
    is a ``ConfigError`` listing them. Names that match nothing stay, for unittest to refuse
    with a suggestion."""
    expanded, known = [], None
    for arg, is_name in _args_with_roles(args):
        if not is_name or _is_module_path(arg):
            expanded.append(arg)
            continue
        known = known if known is not None else known_test_names()
        matches = [name for name in known if name.endswith("." + arg)]
        if len(matches) > 1:
            raise ConfigError(f"test name {arg!r} is ambiguous: it names {', '.join(matches)}; "
                              "give one of them")
        if matches:
            say(f"daist: {arg} is {matches[0]}")
        expanded.append(matches[0] if matches else arg)
    return expanded


def _is_module_path(name: str) -> bool:
    """``daist.rest_api...``, ``uts.framework...``: a full name from an importable top-level
    package, left to unittest. Finding the top-level package imports nothing below it, so a
    full name never costs the discovery of every test (which imports Locust and so patches this
    process with gevent)."""
    head = name.split(".")[0]
    try:
        return "." in name and importlib.util.find_spec(head) is not None
    except (ImportError, ValueError):
        return False


def _args_with_roles(args: list[str]) -> Iterator[tuple[str, bool]]:
    """Each argument and whether it is a test name (not an option or an option's value)."""
    expect_value = False
    for arg in args:
        yield arg, not expect_value and not arg.startswith("-")
        expect_value = not expect_value and arg in OPTIONS_WITH_VALUE


def known_test_names() -> list[str]:
    """Every module, class and test id of the daist package's cluster tests."""
    suite = unittest.TestLoader().discover(str(paths.PACKAGE_DIR), pattern="test*.py",
                                           top_level_dir=str(paths.PACKAGE_DIR.parent))
    names: set[str] = set()
    for test in iter_tests(suite):
        if isinstance(test, unittest.loader._FailedTest):
            continue
        parts = test.id().split(".")
        names.update(".".join(parts[:end]) for end in (len(parts) - 2, len(parts) - 1, len(parts)))
    return sorted(names)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The full name the user most likely meant: one that ends with what they typed
    (``TestRO`` -> ``daist.rest_api.test_locust.TestRO``), else the closest spelling over the
    same number of trailing dotted parts."""
    candidates = list(candidates)
    endings = sorted((c for c in candidates if c.endswith("." + name)), key=len)
    if endings:
        return endings[0]
    depth = name.count(".") + 1
    tails: dict[str, str] = {}
    for candidate in sorted(candidates, key=len):
        tails.setdefault(".".join(candidate.split(".")[-depth:]).lower(), candidate)
    close = difflib.get_close_matches(name.lower(), list(tails), n=1, cutoff=0.6)
    return tails[close[0]] if close else None


def describe(suite: unittest.TestSuite) -> list[str]:
    """One line per test for ``--list``: its id, ``[slots]`` when it runs trials (it needs free
    slots on a real cluster), and the first line of its docstring (else its class's)."""
    tests = list(iter_tests(suite))
    width = max((len(t.id()) for t in tests), default=0)
    lines = []
    for test in tests:
        slots = "[slots]" if getattr(type(test), "needs_slots", False) else ""
        lines.append(f"{test.id():{width}}  {slots:7}  {_summary(test)}".rstrip())
    return lines


def _summary(test: unittest.TestCase) -> str:
    method = getattr(test, test._testMethodName, None)
    module = sys.modules.get(type(test).__module__)
    for doc in (getattr(method, "__doc__", None), type(test).__doc__, getattr(module, "__doc__", None)):
        if doc and doc.strip():
            return first_sentence(plain_text(doc))
    return ""


def plain_text(doc: str) -> str:
    """A docstring as one line of plain text: reStructuredText's roles and literal marks go."""
    text = " ".join(doc.split())
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text)
    return re.sub(r"``([^`]+)``|`([^`]+)`", lambda m: m[1] or m[2], text)


ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.")


def first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence: not inside brackets, not an
    abbreviation's, and followed by a space (``0.38.1`` and ``e.g. 1`` stay whole)."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if char == "." and depth <= 0 and text[index + 1:index + 2] in (" ", "") \
                and not text[:index + 1].endswith(ABBREVIATIONS):
            return text[:index + 1]
    return text


def normalize_test_names(args: list[str]) -> list[str]:
    """Accept the original README's spellings: a trailing '.' is dropped, and ``uts.X`` names a
    cluster test ``daist.X`` when no such unit-test module exists. With no names at all, discover
    every test in the daist package."""
    names, options = [], []
    for arg, is_name in _args_with_roles(args):
        if is_name:
            names.append(_alias(arg.rstrip(".")))
        else:
            options.append(arg)
    if not names:
        return ["discover", "-s", str(paths.PACKAGE_DIR), "-t", str(paths.PACKAGE_DIR.parent),
                "-p", "test*.py", *options]
    return [*options, *names]


def _alias(name: str) -> str:
    parts = name.split(".")
    if parts[0] != "uts":
        return name
    for end in range(len(parts), 1, -1):
        if _module_exists(".".join(parts[:end])):
            return name
        if _module_exists(".".join(["daist", *parts[1:end]])):
            return ".".join(["daist", *parts[1:]])
    return name


def _module_exists(name: str) -> bool:
    """Is there a module file for ``name`` (or a prefix of it)? Looks at files only: importing
    the candidate could run it; test_locust imports Locust, which monkey-patches the whole
    process with gevent."""
    first, *rest = name.split(".")
    try:
        top = importlib.util.find_spec(first)
    except (ImportError, ValueError):
        return False
    if top is None or not rest:
        return top is not None
    for location in top.submodule_search_locations or []:
        path = Path(location, *rest)
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return True
    return False
