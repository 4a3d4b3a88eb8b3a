"""The README tells the truth about the package and the commands."""

from __future__ import annotations

import re

from bot.content.checks import load_checked
from bot.tutor import COMMANDS, HIDDEN
from bot.views.menus import COMMANDS as MENU
from bot.views.menus import GROUP_COMMANDS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_module_is_in_the_readme_layout() -> None:
    layout = README[README.index("## How it is built") :]
    modules = [
        path.relative_to(ROOT / "bot")
        for path in (ROOT / "bot").rglob("*.py")
        if path.name != "__init__.py" or path.parent != ROOT / "bot"
    ]
    missing = [str(m) for m in modules if m.name not in layout and m.stem not in layout]
    assert missing == []


def test_the_menu_lists_every_command_the_service_runs_in_the_same_order() -> None:
    assert [name for name, _ in MENU] == list(COMMANDS)


def test_every_command_is_in_the_readme() -> None:
    assert [name for name in COMMANDS if f"`/{name}`" not in README] == []


def test_the_admins_commands_are_in_no_menu_but_in_the_readme() -> None:
    menus = {name for name, _ in (*MENU, *GROUP_COMMANDS)} | set(COMMANDS)
    assert [name for name in HIDDEN if name in menus] == []
    assert [name for name in HIDDEN if f"`/{name}`" not in README] == []


def test_an_install_carries_every_package_of_the_bot() -> None:
    import tomllib

    from setuptools import find_packages

    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(find_packages(str(ROOT), **found["packages"]["find"]))
    folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "bot").rglob("__init__.py")
    }
    assert packages == folders


def test_the_authors_guide_example_is_a_valid_course(tmp_path) -> None:
    """content/README.md's complete example passes the same validator as the real courses."""
    guide = (ROOT / "content" / "README.md").read_text(encoding="utf-8")
    files = re.findall(r"`content/tea-brewing/([\w.-]+)`:\n\n```yaml\n(.*?)```", guide, re.S)
    assert [name for name, _ in files] == ["course.yaml", "step-1.yaml"]
    folder = tmp_path / "tea-brewing"
    folder.mkdir()
    for name, text in files:
        (folder / name).write_text(text, encoding="utf-8")
    assert [c.id for c in load_checked(tmp_path).courses] == ["tea-brewing"]
