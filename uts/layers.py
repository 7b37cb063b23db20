"""The one declared order of daist's packages and of the stand-in's rooms, and the check that
holds the code to it. ``docs/harness-api.md`` shows the same order (a test compares them).

A module may import its own package (room) and the packages (rooms) of lower layers only:
never a higher layer, never a sibling of its own layer. A ``__main__.py`` is a program (``python
-m daist.report``) and stands on the top floor with ``daist/__main__.py``. Imports inside functions count (they
run); imports under ``if TYPE_CHECKING:`` do not (they never run; they name a type).
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_LAYERS: tuple[tuple[str, ...], ...] = (
    ("models", "standin"),
    ("framework",),
    ("seed", "report", "evidence"),
    ("db",),
    ("engine",),
    ("rest_api", "metrics"),
    ("app", "cli", "test_target", "worker"),
    ("__main__", "__init__"),
)
"""daist's packages (and top-level modules), lowest first. ``standin`` shares the floor with
``models``: it imports nothing else of daist (it is a separate server)."""

STANDIN_LAYERS: tuple[tuple[str, ...], ...] = (
    ("common", "launcher", "options"),
    ("faults", "state", "observe"),
    ("trials",),
    ("seed",),
    ("backend",),
    ("http",),
    ("server",),
    ("cli",),
    ("__main__", "__init__"),
)
"""The stand-in's rooms (folders) and root modules, lowest first."""


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers of the statements under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for statement in node.body:
                    lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines


def module_imports(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) of every import that runs, at any depth, in the file of
    ``module`` (dotted name); relative imports are resolved. ``from P import n`` yields both
    ``P`` and ``P.n`` (``n`` may be a module)."""
    tree = ast.parse(path.read_text(), str(path))
    skipped = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(filter(None, [*parts[:len(parts) - node.level + 1], base]))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _place(parts: list[str]) -> str:
    """The package, or the top-level module, that a dotted name below the root belongs to."""
    return parts[0].removesuffix(".py")


def layer_problems(root: Path, root_package: str, layers: tuple[tuple[str, ...], ...]) -> list[str]:
    """Every import in the tree under ``root`` (the package ``root_package``) that breaks the
    layer order, plus every package or module the order does not declare. Empty = clean."""
    level = {name: index for index, names in enumerate(layers) for name in names}
    problems = set()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).parts
        if any(part in ("__pycache__", "results") for part in relative):
            continue
        # a package's __main__.py is a program, as daist/__main__.py: it may compose (declare
        # the test kinds through daist.app) and sits on the top floor
        own = "__main__" if path.name == "__main__.py" else _place(list(relative))
        if own not in level:
            problems.add(f"{'/'.join(relative)}: {own!r} is in no declared layer")
            continue
        module = ".".join([root_package, *relative]).removesuffix(".py").removesuffix(".__init__")
        for line, imported in module_imports(path, module):
            if not imported.startswith(root_package + "."):
                continue
            other = imported[len(root_package) + 1:].split(".")[0]
            if other == own or other not in level:
                continue  # a name of root_package's __init__, or the file's own package
            if level[other] > level[own]:
                problems.add(f"{'/'.join(relative)}:{line} imports {imported} ({other} is above {own})")
            elif level[other] == level[own]:
                problems.add(f"{'/'.join(relative)}:{line} imports {imported} ({other} is beside {own})")
    return sorted(problems)


def layers_text(layers: tuple[tuple[str, ...], ...]) -> str:
    """The order as one line, lowest first: ``models, standin < framework < ...``."""
    return " < ".join(", ".join(names) for names in layers)
