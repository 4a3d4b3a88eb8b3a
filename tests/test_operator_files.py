"""The files an operator runs agree with the code and with each other (no Docker needed)."""

from __future__ import annotations

import re
import shlex
import tomllib
from importlib import metadata

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.config import ENVIRONMENT
from tests.conftest import ROOT

DATA = "/data"
"""Where the image keeps the database: the Dockerfile's volume, compose's mount."""
UNPINNED = {"pip"}
"""sqlite-utils lists pip; the pip doing the install is the environment's own, whatever version."""


def text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions in order, continuation lines joined: (KEYWORD, arguments)."""
    joined = re.sub(r"\\\n", " ", text("Dockerfile"))
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def pins() -> dict[str, str]:
    found = {}
    for line in text("constraints.txt").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            found[canonicalize_name(name)] = version
    return found


def project() -> dict:
    return tomllib.loads(text("pyproject.toml"))["project"]


# ------------------------------------------------------------ .env.example


def env_example() -> dict[str, tuple[bool, str]]:
    """Each variable the file names: (set, value); a commented-out line is not set."""
    found = {}
    for line in text(".env.example").splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match[2]] = (match[1] is None, match[3])
    return found


def test_env_example_lists_exactly_the_variables_the_bot_reads() -> None:
    assert sorted(env_example()) == sorted(ENVIRONMENT)


def test_env_example_sets_only_the_token_and_leaves_it_blank() -> None:
    """A set line would override the image (an empty TUTOR_DB= moves the database out of /data)."""
    assert {name: value for name, (is_set, value) in env_example().items() if is_set} == {
        "TELEGRAM_BOT_TOKEN": ""
    }


def test_every_variable_in_env_example_has_a_comment_above_it() -> None:
    lines = text(".env.example").splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"#?\s*[A-Z][A-Z0-9_]*=.*", line.strip()):
            above = lines[i - 1].strip()
            assert above.startswith("#") and not re.fullmatch(r"#\s*[A-Z0-9_]+=.*", above), line


# ------------------------------------------------------------ docker-compose.yml


def test_compose_runs_the_image_with_its_data_health_and_restart_policy() -> None:
    compose = yaml.safe_load(text("docker-compose.yml"))
    tutor = compose["services"]["tutor"]
    assert tutor["build"] == "."
    assert tutor["env_file"] in (".env", [".env"])
    assert tutor["restart"] == "unless-stopped"
    assert tutor["healthcheck"]["test"] == ["CMD", "python", "-m", "bot", "health"]
    assert tutor["stop_grace_period"]
    volume, target = tutor["volumes"][0].split(":")[:2]
    assert target == DATA
    assert volume in compose["volumes"]  # a named volume, not a folder of the host


def test_compose_and_the_image_agree_on_the_data_folder() -> None:
    steps = dockerfile()
    assert ("VOLUME", f'["{DATA}"]') in steps
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert f"TUTOR_DB={DATA}/" in env


# ------------------------------------------------------------ Dockerfile


def test_dependencies_are_installed_from_the_pins_before_the_source_is_copied() -> None:
    steps = dockerfile()
    copies = [i for i, (keyword, _) in enumerate(steps) if keyword == "COPY"]
    pinned = next(i for i in copies if "constraints.txt" in steps[i][1].split())
    source = next(i for i in copies if steps[i][1].split()[0] == "bot")
    install = next(
        i
        for i, (keyword, args) in enumerate(steps)
        if keyword == "RUN" and "pip install -c constraints.txt" in args
    )
    assert pinned < install < source
    assert not any(steps[i][1].split()[0] == "." for i in copies), "COPY . defeats the cache"
    own = [args for keyword, args in steps[source:] if keyword == "RUN" and "pip install" in args]
    assert own and all("--no-deps" in args for args in own)


def test_the_image_runs_as_uid_10001_with_a_health_check() -> None:
    steps = dockerfile()
    assert any(keyword == "RUN" and "--uid 10001" in args for keyword, args in steps)
    assert ("USER", "tutor") in steps
    health = next(args for keyword, args in steps if keyword == "HEALTHCHECK")
    assert health.endswith('CMD ["python", "-m", "bot", "health"]')


def test_the_dockerfile_starts_as_the_smoke_test_needs() -> None:
    """shared/tools/container-smoke.sh builds with --build-arg BASE and no BuildKit frontend."""
    assert dockerfile()[:2] == [("ARG", "BASE=python:3.12-slim"), ("FROM", "${BASE}")]
    assert "# syntax=" not in text("Dockerfile")


# ------------------------------------------------------------ README and CI


def readme_commands() -> dict[str, str]:
    """The README's first code block: each command under the comment that names it."""
    block = re.search(r"```sh\n(.*?)```", text("README.md"), re.S)[1]
    commands, comment = {}, ""
    for line in block.splitlines():
        if line.startswith("#"):
            comment = line
        elif line.strip():
            commands[comment] = line.strip()
    return commands


def test_ci_runs_exactly_the_readme_test_command() -> None:
    command = next(c for comment, c in readme_commands().items() if "tests" in comment)
    ci = [
        line.strip()
        for line in text(".ci/run").splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci == [command]


def test_every_readme_install_uses_the_pins() -> None:
    installs = [c for c in readme_commands().values() if "pip install" in c]
    assert len(installs) == 2
    for command in installs:
        words = shlex.split(command)
        install = words.index("install")
        assert words[install + 1 : install + 3] == ["-c", "constraints.txt"], command


# ------------------------------------------------------------ constraints.txt


def test_every_dependency_in_pyproject_is_pinned() -> None:
    wanted = project()["dependencies"] + project()["optional-dependencies"]["test"]
    names = {canonicalize_name(Requirement(line).name) for line in wanted}
    assert sorted(names - pins().keys()) == []


def test_the_pins_satisfy_pyproject() -> None:
    pinned = pins()
    for line in project()["dependencies"] + project()["optional-dependencies"]["test"]:
        requirement = Requirement(line)
        version = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), (line, version)


def closure(lines: list[str]) -> dict[str, set[str]]:
    """Every distribution these requirements bring in here, transitively: name → its extras."""
    todo = [Requirement(line) for line in lines]
    seen: dict[str, set[str]] = {}
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        extras = seen.get(name)
        if extras is not None and requirement.extras <= extras:
            continue
        seen[name] = (extras or set()) | requirement.extras
        for needed in metadata.requires(name) or []:
            needs = Requirement(needed)
            if needs.marker is None or any(
                needs.marker.evaluate({"extra": extra}) for extra in seen[name] | {""}
            ):
                todo.append(needs)
    return seen


@pytest.mark.parametrize("group", ["run time", "tests"])
def test_every_package_needed_is_pinned_and_installed_at_its_pin(group: str) -> None:
    """What runs here is what is pinned: the README's installs and .ci/run use the pins."""
    lines = project()["dependencies"]
    if group == "tests":
        lines = lines + project()["optional-dependencies"]["test"]
    pinned = pins()
    needed = {name: extras for name, extras in closure(lines).items() if name not in UNPINNED}
    assert sorted(needed.keys() - pinned.keys()) == []
    installed = {name: metadata.version(name) for name in needed}
    assert {n: v for n, v in installed.items() if v != pinned[n]} == {}
