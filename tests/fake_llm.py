"""A fake OpenAI-compatible chat-completions server for the tests of lessons a model writes.

The code under test talks to it over real HTTP on 127.0.0.1 with the official `openai` client,
exactly as it talks to a hosted API, Ollama, vLLM or llama.cpp's server, so a test fails where
the code would fail against a real one. It answers `POST /v1/chat/completions` from a script of
replies, in order (`script`), and with the lesson it was given (by default the sourdough lesson
in `fixtures/written/`) once the script runs out. Every request is recorded (`requests`): the
model, the messages, the response_format and the Authorization header as sent.

Replies: `lesson(data)` (the JSON as the message's content), `content(text)` (any content: a
malformed lesson), `refusal(text)` (the API's own `message.refusal`), `error(status)` (an error
body as OpenAI sends it), `delay(seconds)` (the default answer, too late for a short timeout),
`envelope(body)` (a 200 whose body is not a chat completion). The server runs in its own thread;
every public method is thread-safe.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "written"


def sourdough() -> dict[str, Any]:
    """A valid one-step lesson, as a model would return it (a fresh copy each time)."""
    return json.loads((FIXTURES / "sourdough.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an HTTP status and JSON body, sent after `delay` seconds."""

    status: int = 200
    body: Any = None
    """The whole response body; None: a chat completion carrying `message`."""
    message: dict[str, Any] | None = None
    """The assistant message (content, refusal) of a chat completion; None: the default lesson."""
    delay: float = 0.0


def lesson(data: dict[str, Any]) -> Reply:
    return content(json.dumps(data, ensure_ascii=False))


def content(text: str | None, finish_reason: str = "stop") -> Reply:
    return Reply(message={"content": text, "refusal": None, "finish_reason": finish_reason})


def refusal(text: str) -> Reply:
    return Reply(message={"content": None, "refusal": text, "finish_reason": "stop"})


def error(
    status: int, text: str = "The server had an error while processing your request."
) -> Reply:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return Reply(status, {"error": {"message": text, "type": kind, "param": None, "code": None}})


def delay(seconds: float) -> Reply:
    return Reply(delay=seconds)


def envelope(body: Any) -> Reply:
    return Reply(200, body)


@dataclass(frozen=True)
class Request:
    """What the client sent: enough to check the conversation and that the key went only here."""

    model: str
    messages: list[dict[str, Any]]
    response_format: dict[str, Any] | None
    authorization: str | None
    body: dict[str, Any] = field(repr=False)


class FakeLLM:
    """The server: `start()`, point a client at `url`, `script(...)` replies, `stop()`."""

    def __init__(self, default: dict[str, Any] | None = None):
        self.default = default if default is not None else sourdough()
        self.requests: list[Request] = []
        self.refusals: list[str] = []
        """Requests an OpenAI-compatible server would refuse (400): bugs in the client code."""
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL a client is given, as for a real server: `http://127.0.0.1:PORT/v1`."""
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the test's output stays the test's

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # a delayed reply answers now, so no handler outlives the test
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order; then the default lesson again."""
        with self._lock:
            self._script.extend(replies)

    # ------------------------------------------------------------ serving

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        if http.path.rstrip("/") != "/v1/chat/completions":
            self._send(http, 404, {"error": {"message": f"no route {http.path}", "type": "nf"}})
            return
        length = int(http.headers.get("Content-Length") or 0)
        try:
            body = json.loads(http.rfile.read(length))
        except ValueError:
            self._refuse(http, "the body is not JSON")
            return
        problem = _request_problem(body)
        if problem:
            self._refuse(http, problem)
            return
        request = Request(
            model=body["model"],
            messages=body["messages"],
            response_format=body.get("response_format"),
            authorization=http.headers.get("Authorization"),
            body=body,
        )
        with self._lock:
            number = len(self.requests) + 1
            self.requests.append(request)
            reply = self._script.pop(0) if self._script else Reply()
        if reply.delay:
            self._stopping.wait(reply.delay)
        if reply.body is not None or reply.status != 200:
            self._send(http, reply.status, reply.body)
            return
        self._send(http, 200, self._completion(number, request.model, reply.message))

    def _completion(self, number: int, model: str, message: dict[str, Any] | None) -> dict:
        if message is None:
            message = {"content": json.dumps(self.default, ensure_ascii=False), "refusal": None}
        finish = message.get("finish_reason", "stop")
        said = {"role": "assistant", "content": message["content"], "refusal": message["refusal"]}
        return {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": said, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def _refuse(self, http: BaseHTTPRequestHandler, problem: str) -> None:
        with self._lock:
            self.refusals.append(problem)
        self._send(http, 400, {"error": {"message": problem, "type": "invalid_request_error"}})

    @staticmethod
    def _send(http: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
        try:
            http.send_response(status)
            http.send_header("Content-Type", "application/json")
            http.send_header("Content-Length", str(len(raw)))
            http.end_headers()
            http.wfile.write(raw)
        except OSError:
            pass  # the client gave up waiting (a timeout): nobody is listening any more


def _request_problem(body: Any) -> str | None:
    """What a chat-completions server refuses: the shape of the request, not its wisdom."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model is required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages must be a non-empty list"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in {
            "system",
            "user",
            "assistant",
        }:
            return f"messages[{i}]: role must be system, user or assistant"
        if not isinstance(message.get("content"), str):
            return f"messages[{i}]: content must be a string"
    response_format = body.get("response_format")
    if response_format is not None:
        schema = response_format.get("json_schema") or {}
        if response_format.get("type") != "json_schema" or not isinstance(
            schema.get("schema"), dict
        ):
            return "response_format: a json_schema needs a name and a schema object"
        if not schema.get("name"):
            return "response_format.json_schema.name is required"
    return None
