"""Writing a learner's lesson, the Telegram side: the model runs outside the chat's turn (it
takes seconds, and the learner may go on tapping meanwhile); what the learner sees of it, the
seconds going by and then the lesson itself, is decided and sent in the chat's turn like any
update (`reminders.in_turn`).

A write is a saved job (`tutor.topics`), so a crash loses none: at start-up every job still
saved is started again. One request is written once at a time, whatever starts it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial

from telegram.ext import Application, CallbackContext

from bot.core.topics import course_id
from bot.llm.write import NotWritten, Written, write_course
from bot.telegram import reminders
from bot.tutor import Reply, Tutor

log = logging.getLogger(__name__)

PROGRESS_EVERY = 5.0
"""Seconds between edits of "Writing your lesson… ⏳ N s": alive, yet far under the chat's pace."""
WHOLE_WRITE = 3
"""A write may take this many of the model's answers' time (TUTOR_LLM_TIMEOUT each): a lesson
sent back twice is three answers. Past that the learner is told, and it costs them nothing."""


def follow_up(application: Application, reply: Reply) -> None:
    """After a tap's reply is sent: start the write it asked for."""
    if reply.write is not None:
        start(application, reply.write)


def start(application: Application, request_id: int) -> None:
    running: set[int] = application.bot_data.setdefault("topics_writing", set())
    if request_id in running:
        return
    running.add(request_id)
    application.create_task(_write(application, request_id), name=f"write-{request_id}")


async def resume(context: CallbackContext) -> None:
    """At start-up: the writes a stop interrupted, started again."""
    tutor: Tutor = context.application.bot_data["tutor"]
    for request_id in tutor.topics.pending():
        log.info("writing the lesson of request %s again after a restart", request_id)
        start(context.application, request_id)


async def _write(application: Application, request_id: int) -> None:
    tutor: Tutor = application.bot_data["tutor"]
    try:
        job = tutor.topics.job(request_id)
        if job is None:
            return
        result = await _run_model(application, tutor, request_id, job.chat_id, job.text, job.topic)
        await reminders.in_turn(
            application, job.chat_id, lambda: tutor.topics.finish(request_id, result)
        )
    except Exception as exc:  # one write's failure must not reach the others, nor be silent
        log.error("writing the lesson of request %s failed (%s); tried again at the next start",
                  request_id, exc, exc_info=log.isEnabledFor(logging.DEBUG))  # fmt: skip
    finally:
        application.bot_data["topics_writing"].discard(request_id)


async def _run_model(
    application: Application, tutor: Tutor, request_id: int, chat_id: int, text: str, topic: str
) -> Written | NotWritten:
    """The model at work, with the learner shown the seconds go by."""
    settings = tutor.topics.settings.model
    if settings is None:  # the operator turned the model off since the job was saved
        return NotWritten("unavailable", "no language model is configured now")
    writing = asyncio.ensure_future(write_course(settings, text, course_id(topic)))
    started, shown = time.monotonic(), 0
    limit = WHOLE_WRITE * settings.timeout
    while True:
        done, _ = await asyncio.wait({writing}, timeout=PROGRESS_EVERY)
        if done:
            return writing.result()
        seconds = round(time.monotonic() - started)
        if seconds > limit:
            writing.cancel()
            return NotWritten(
                "timeout", f"no lesson after {seconds} s, {WHOLE_WRITE} answers' time"
            )
        if seconds > shown:  # the same text again would be an edit Telegram refuses
            shown = seconds
            show = partial(tutor.topics.progress, request_id, seconds)
            await reminders.in_turn(application, chat_id, show)
