"""A language model writes a lesson: over real HTTP, against a fake OpenAI-compatible server.

`write_course` is checked as a client of any chat-completions server: what it sends (the prompt,
the schema, the key in the header and nowhere else), what a valid lesson becomes (a course that
plays to the end), how problems go back to the model and how often, and what a refusal, a
timeout, a server error or a reply that is not a completion become. `python -m bot draft` runs
as a subprocess against the same server.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import terminal
from bot.content import Library
from bot.llm import ModelSettings, shape
from bot.llm.write import ATTEMPTS, NotWritten, Written, write_course
from tests.conftest import ROOT
from tests.fake_llm import (
    FakeLLM,
    content,
    delay,
    envelope,
    error,
    lesson,
    refusal,
    sourdough,
)

KEY = "sk-test-7f3a9c-never-shown"
MODEL = "fake-model:7b"
MISSING = "steps[0].questions[0].options[0]: a 'Not quite' option needs a misconception"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server
    assert server.refusals == []  # every request was one a real server accepts


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at every level, the client's and the transport's included."""
    caplog.set_level(logging.DEBUG)
    return caplog


def settings(llm: FakeLLM, timeout: float = 5.0) -> ModelSettings:
    return ModelSettings(url=llm.url, model=MODEL, key=KEY, timeout=timeout)


def untagged() -> dict[str, Any]:
    """The sourdough lesson with one wrong option that names no misconception."""
    data = sourdough()
    del data["steps"][0]["questions"][0]["options"][0]["misconception"]
    return data


async def write(llm: FakeLLM, **kwargs: Any) -> Written | NotWritten:
    return await write_course(settings(llm, **kwargs), "sourdough starters", "sourdough")


# ------------------------------------------------------------ a lesson written


async def test_a_valid_lesson_is_written_by_the_model_asked(llm: FakeLLM) -> None:
    written = await write(llm)
    assert isinstance(written, Written), written
    assert (written.model, written.attempts, written.course.written_by) == (MODEL, 1, MODEL)
    assert written.course.id == "sourdough" and written.course.title == "Sourdough starters"
    [request] = llm.requests
    assert request.model == MODEL and request.authorization == f"Bearer {KEY}"
    assert [m["role"] for m in request.messages] == ["system", "user"]
    assert "phone" in request.messages[0]["content"]
    assert '{"refusal": "…"}' in request.messages[0]["content"]
    assert "\n---\nsourdough starters\n---\n" in request.messages[1]["content"]
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "lesson", "strict": False, "schema": shape.json_schema()},
    }


async def test_the_written_lesson_plays_to_the_end_through_repairs_and_checks(
    llm: FakeLLM,
) -> None:
    written = await write(llm)
    assert isinstance(written, Written)
    course = written.course
    for question in course.steps[0].questions:
        assert question.another_way and question.check and len(question.options) == 4
    library = Library(())
    library.add_written(course)
    # each question: "I'm not sure" twice (the repair, then the check), skip the check, go on
    out = io.StringIO()
    code = terminal.run(library, course.id, None, None, io.StringIO("4\n4\n5\n1\n" * 3), out)
    played = out.getvalue()
    assert code == 0, played
    assert played.count("No shame in this") == 3
    for question in course.steps[0].questions:
        assert question.check.prompt in played
    for id_ in ("flour-swells", "more-food-faster", "cold-kills"):
        repair = next(m.repair for m in course.misconceptions if m.id == id_)
        assert " ".join(repair.split()[:8]) in played
    assert course.steps[0].takeaway in played and "Sourdough starters" in played


# ------------------------------------------------------------ problems sent back


async def test_a_lesson_with_a_problem_is_sent_back_and_the_correction_accepted(
    llm: FakeLLM,
) -> None:
    llm.script(lesson(untagged()))
    written = await write(llm)
    assert isinstance(written, Written), written
    assert written.attempts == 2
    first, second = llm.requests
    assert second.messages[:2] == first.messages
    assert second.messages[2]["role"] == "assistant"
    assert json.loads(second.messages[2]["content"]) == untagged()
    assert second.messages[3]["role"] == "user"
    assert f"- {MISSING}: its repair" in second.messages[3]["content"]
    assert "send the whole corrected lesson" in second.messages[3]["content"]


async def test_a_lesson_still_wrong_after_two_corrections_is_not_written(llm: FakeLLM) -> None:
    llm.script(*[lesson(untagged())] * 3)
    outcome = await write(llm)
    assert isinstance(outcome, NotWritten)
    assert outcome.reason == "invalid" and len(llm.requests) == ATTEMPTS == 3
    assert [p.split(":")[0] for p in outcome.problems] == [MISSING.split(":")[0]]
    assert MISSING in outcome.detail and "\n" not in outcome.detail


async def test_content_that_is_not_json_is_sent_back_as_a_problem(llm: FakeLLM) -> None:
    llm.script(content('{"title": "Sourdough", "steps": [ oops'))
    written = await write(llm)
    assert isinstance(written, Written) and written.attempts == 2
    assert (
        "(the reply): is not valid JSON (line 1, column 35)"
        in llm.requests[1].messages[3]["content"]
    )


def test_the_written_form_is_checked_beyond_a_valid_lesson() -> None:
    """Three questions of four options, one of each verdict and "I'm not sure" last, a check on
    each, a bridge on the first two, options a phone can show: what `shape` adds."""
    from bot.content.load import course_from_data

    data = sourdough()
    questions = data["steps"][0]["questions"]
    questions[0]["options"][2]["verdict"] = "Not quite"  # two Not quite, no Close
    del questions[1]["bridge"], questions[2]["check"]
    questions[1]["options"].pop(1)  # three options
    questions[2]["options"][3]["text"] = "No idea"
    questions[2]["options"][1]["text"] = "It keeps going" + ", slowly" * 12
    folder = Path("written/sourdough")
    steps = data.pop("steps")
    course, found = course_from_data(folder, {"id": "sourdough"} | data, steps)
    assert course is not None and found == []
    assert [shape.located(p) for p in shape.problems(folder, course, steps=2)] == [
        "steps: the lesson has 1 step(s); write exactly 2",
        "steps[0].questions[0].options: the first three options must be one 'Exactly', one "
        "'Close' and one 'Not quite', in any order",
        "steps[0].questions[1].options: has 3 options; write exactly 4",
        "steps[0].questions[1].bridge: is missing: one or two sentences into the next question",
        'steps[0].questions[2].options[3]: the last option must be "I\'m not sure" with the '
        "verdict 'No worries'",
        "steps[0].questions[2].options[1].text: is 110 characters; an option is read on a "
        "phone: 90 at most",
        "steps[0].questions[2].check: is missing: the same idea in a new situation",
    ]


# ------------------------------------------------------------ no lesson


async def test_the_apis_own_refusal_is_refused(llm: FakeLLM) -> None:
    llm.script(refusal("I can't help with that."))
    assert await write(llm) == NotWritten("refused", "I can't help with that.")
    assert len(llm.requests) == 1


async def test_a_refusal_in_the_lesson_json_is_refused(llm: FakeLLM) -> None:
    llm.script(lesson({"refusal": "I can't write a lesson on that topic."}))
    assert await write(llm) == NotWritten("refused", "I can't write a lesson on that topic.")


async def test_a_server_that_answers_too_late_is_a_timeout(llm: FakeLLM) -> None:
    llm.script(delay(3), delay(3))
    started = time.monotonic()
    outcome = await write(llm, timeout=0.5)
    assert isinstance(outcome, NotWritten) and outcome.reason == "timeout", outcome
    assert "within 0.5 s" in outcome.detail
    assert len(llm.requests) == 2  # the client's one retry, then no more
    assert time.monotonic() - started < 2.5


async def test_a_server_error_twice_is_unavailable_and_once_is_retried(llm: FakeLLM) -> None:
    llm.script(error(500), error(500))
    outcome = await write(llm)
    assert isinstance(outcome, NotWritten) and outcome.reason == "unavailable"
    assert "answered 500" in outcome.detail and len(llm.requests) == 2
    llm.script(error(503))
    written = await write(llm)
    assert isinstance(written, Written) and written.attempts == 1


@pytest.mark.parametrize(
    "body", [{"object": "list", "data": []}, {"choices": []}, b"<html>502 Bad Gateway</html>"]
)
async def test_a_reply_that_is_not_a_chat_completion_is_unavailable(
    llm: FakeLLM, body: Any
) -> None:
    llm.script(envelope(body))
    outcome = await write(llm)
    assert isinstance(outcome, NotWritten) and outcome.reason == "unavailable", outcome
    assert len(llm.requests) == 1


async def test_a_server_that_is_not_there_is_unavailable() -> None:
    with FakeLLM() as gone:
        url = gone.url
    outcome = await write_course(ModelSettings(url, MODEL, KEY, 2.0), "bread", "bread")
    assert isinstance(outcome, NotWritten) and outcome.reason == "unavailable"
    assert outcome.detail.startswith("cannot reach 127.0.0.1:")


async def test_the_key_is_sent_in_the_header_and_never_logged_or_told(
    llm: FakeLLM, logs: pytest.LogCaptureFixture
) -> None:
    llm.script(error(401, f"Incorrect API key provided: {KEY}."))  # as OpenAI's 401 says it
    denied = await write(llm)
    llm.script(delay(3), delay(3))
    late = await write(llm, timeout=0.3)
    llm.script(lesson(untagged()))
    written = await write(llm)
    assert isinstance(denied, NotWritten) and "answered 401" in denied.detail
    assert isinstance(late, NotWritten) and isinstance(written, Written)
    assert all(r.authorization == f"Bearer {KEY}" for r in llm.requests)
    assert KEY not in denied.detail + late.detail + repr(settings(llm))
    assert logs.records  # the client and transport did log at DEBUG
    for record in logs.records:
        assert KEY not in record.getMessage() and KEY not in repr(record.__dict__)


def test_settings_come_from_the_environment_and_name_what_is_missing() -> None:
    from bot.config import ConfigError

    env = {"TUTOR_LLM_URL": "http://127.0.0.1:11434/v1", "TUTOR_LLM_MODEL": "llama3.1:8b"}
    assert ModelSettings.from_env(env) == ModelSettings(env["TUTOR_LLM_URL"], "llama3.1:8b")
    full = env | {"TUTOR_LLM_KEY": KEY, "TUTOR_LLM_TIMEOUT": "90"}
    assert ModelSettings.from_env(full) == ModelSettings(
        env["TUTOR_LLM_URL"], "llama3.1:8b", KEY, 90
    )
    for name, value in [("TUTOR_LLM_URL", ""), ("TUTOR_LLM_MODEL", ""), ("TUTOR_LLM_TIMEOUT", "x")]:
        with pytest.raises(ConfigError, match=f"^{name} "):
            ModelSettings.from_env(env | {name: value})


# ------------------------------------------------------------ python -m bot draft


def draft(llm_url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUTOR_LLM_", "OPENAI_"))}
    if llm_url:
        env |= {"TUTOR_LLM_URL": llm_url, "TUTOR_LLM_MODEL": MODEL, "TUTOR_LLM_KEY": KEY}
    return subprocess.run(
        [sys.executable, "-m", "bot", "draft", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_draft_writes_files_that_validate_accepts(llm: FakeLLM, tmp_path: Path) -> None:
    out = tmp_path / "drafts" / "sourdough"
    run = draft(llm.url, "sourdough starters", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        f"wrote {out}: 1 step(s); run `python -m bot validate {out}/..` before publishing\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["course.yaml", "step-1.yaml"]
    assert "# Written by the model fake-model:7b" in (out / "course.yaml").read_text()
    checked = subprocess.run(
        [sys.executable, "-m", "bot", "validate", str(out.parent)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    assert KEY not in run.stdout + run.stderr


def test_draft_without_a_server_says_which_variable_in_one_line(tmp_path: Path) -> None:
    run = draft(None, "sourdough starters", "--out", str(tmp_path / "sourdough"))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith("TUTOR_LLM_URL is not set") and run.stderr.count("\n") == 1
    assert not (tmp_path / "sourdough").exists()


def test_draft_lists_the_problems_left_and_writes_nothing(llm: FakeLLM, tmp_path: Path) -> None:
    llm.script(*[lesson(untagged())] * 3)
    run = draft(llm.url, "sourdough starters", "--out", str(tmp_path / "sourdough"))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "the model's lesson still broke 1 rule(s) after 3 attempts; nothing written:",
        f"  {MISSING}: its repair is what a learner reads after a second miss",
    ]
    assert not (tmp_path / "sourdough").exists()


def test_draft_help_lists_its_environment(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    with pytest.raises(SystemExit):
        main(["draft", "--help"])
    helped = capsys.readouterr().out
    for name in ("TUTOR_LLM_URL", "TUTOR_LLM_MODEL", "TUTOR_LLM_KEY", "TUTOR_LLM_TIMEOUT"):
        assert name in helped


def test_draft_refuses_a_folder_that_cannot_be_a_course_before_asking(tmp_path: Path) -> None:
    from bot.llm.draft import draft as run_draft

    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "course.yaml").write_text("id: taken\n")
    for out, said in [
        (tmp_path / "Sour Dough", "the folder's name is the course id"),
        (tmp_path / "taken", "already holds a lesson"),
    ]:
        err = io.StringIO()
        assert run_draft("sourdough", 1, out, err) == 1
        assert said in err.getvalue() and err.getvalue().count("\n") == 1
