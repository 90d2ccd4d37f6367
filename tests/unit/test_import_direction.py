"""Imports point one way (ARCHITECTURE.md, "Imports point one way").

Every module under bot/, commands/, integrations/ and store/ is read with `ast`
(nothing is imported), so a wrong-way import fails here with its file and line,
even inside a function or an `if TYPE_CHECKING:` block.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUR_PACKAGES = ("bot", "commands", "integrations", "store")
COMPOSITION_ROOTS = {"bot/main.py", "bot/cli.py", "bot/server.py"}
PLATFORM_AND_HTTP_LIBRARIES = ("slack_sdk", "slack_bolt", "msal", "aiohttp", "httpx", "requests")


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository root, with forward slashes
    line: int
    module: str  # absolute dotted name

    def __str__(self) -> str:
        return f"{self.file}:{self.line} imports {self.module}"

    @property
    def top(self) -> str:
        return self.module.split(".")[0]

    def is_under(self, *packages: str) -> bool:
        return any(self.module == p or self.module.startswith(p + ".") for p in packages)


def _package_of(relative: Path) -> list[str]:
    parts = list(relative.with_suffix("").parts)
    return parts if relative.name == "__init__.py" else parts[:-1]


def _imports_in(path: Path) -> list[Import]:
    return _imports_from_source(path.read_text(encoding="utf-8"), path.relative_to(ROOT))


def _imports_from_source(source: str, relative: Path) -> list[Import]:
    tree = ast.parse(source, filename=str(relative))
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(relative.as_posix(), node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                package = _package_of(relative)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if node.module is None or node.level:
                # "from . import x" / "from .pkg import x" may name sub-modules.
                found.extend(
                    Import(relative.as_posix(), node.lineno, f"{module}.{a.name}".strip("."))
                    for a in node.names
                )
            else:
                found.append(Import(relative.as_posix(), node.lineno, module))
    return found


def _all_imports() -> list[Import]:
    imports: list[Import] = []
    for package in OUR_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            imports.extend(_imports_in(path))
    return imports


ALL_IMPORTS = _all_imports()


def _in(folder: str) -> list[Import]:
    return [i for i in ALL_IMPORTS if i.file.startswith(folder + "/")]


def _report(offending: list[Import], rule: str) -> str:
    return f"{rule}; wrong-way imports:\n" + "\n".join(f"  {i}" for i in offending)


def test_the_modules_were_found() -> None:
    files = {i.file for i in ALL_IMPORTS}

    for expected in ("bot/dispatcher.py", "commands/action/grammar.py", "store/models.py"):
        assert expected in files
    assert any(f.startswith("integrations/") for f in files)


def test_bot_imports_nothing_of_ours_outside_its_composition_root() -> None:
    offending = [
        i
        for i in _in("bot")
        if i.file not in COMPOSITION_ROOTS and i.is_under("commands", "integrations", "store")
    ]

    assert not offending, _report(
        offending,
        "bot/ may import commands/, integrations/ or store/ only in "
        + ", ".join(sorted(COMPOSITION_ROOTS)),
    )


def test_store_imports_only_bot_of_ours() -> None:
    offending = [i for i in _in("store") if i.is_under("commands", "integrations")]

    assert not offending, _report(offending, "store/ may import bot/ and store/ only")


def test_commands_never_import_integrations_or_platform_and_http_libraries() -> None:
    offending = [
        i for i in _in("commands") if i.is_under("integrations", *PLATFORM_AND_HTTP_LIBRARIES)
    ]

    assert not offending, _report(
        offending,
        "commands/ must not import integrations/ or " + ", ".join(PLATFORM_AND_HTTP_LIBRARIES),
    )


def test_integrations_never_import_commands() -> None:
    offending = [i for i in _in("integrations") if i.is_under("commands")]

    assert not offending, _report(offending, "integrations/ must not import commands/")


@pytest.mark.parametrize(("platform", "other"), [("slack", "teams"), ("teams", "slack")])
def test_slack_and_teams_never_import_each_other(platform: str, other: str) -> None:
    offending = [i for i in _in(f"integrations/{platform}") if i.is_under(f"integrations.{other}")]

    assert not offending, _report(
        offending, f"integrations/{platform} must not import integrations/{other}"
    )


# -- the checker itself ---------------------------------------------------------------


def test_the_checker_sees_imports_inside_functions_and_relative_imports() -> None:
    source = (
        "from __future__ import annotations\n"
        "import slack_sdk.web\n"
        "def f():\n"
        "    from integrations.slack import gateway\n"
        "from . import grammar\n"
        "from .. import people\n"
    )

    imports = _imports_from_source(source, Path("commands/action/probe.py"))

    assert {(i.line, i.module) for i in imports} == {
        (1, "__future__"),
        (2, "slack_sdk.web"),
        (4, "integrations.slack"),
        (5, "commands.action.grammar"),
        (6, "commands.people"),
    }
    assert "commands/action/probe.py:4 imports integrations.slack" in {str(i) for i in imports}
