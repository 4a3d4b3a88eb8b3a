"""Lessons a language model writes on a learner's topic, through any OpenAI-compatible server.

`write.write_course` asks the model for a lesson in the lessons' own shape and checks it with
the same validator as the authored courses (`shape` adds the shape we promise for a written
one); `draft` is `python -m bot draft`, which saves one as YAML files for an author to review.
The server is hosted or local (Ollama, vLLM, llama.cpp's server): only its base URL, the model's
name and perhaps a key differ, and those are `ModelSettings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.config import ConfigError

DEFAULT_TIMEOUT = 60.0
"""Seconds one request may take: a model writing a whole lesson, on a small local GPU."""


@dataclass(frozen=True)
class ModelSettings:
    """Where the model is and how long to wait for it.

    `url` is the server's base URL, the one an OpenAI client is given, e.g.
    http://127.0.0.1:11434/v1 for Ollama. The key is kept out of `repr`, so printing or logging
    the settings never shows it."""

    url: str
    model: str
    key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @property
    def where(self) -> str:
        """The server as a log line names it: host and port, never a path, query or password
        (a URL can carry a key in either)."""
        parts = urlsplit(self.url)
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname:
            return "the server"
        return f"{parts.hostname}:{port}" if port else parts.hostname

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ModelSettings:
        """TUTOR_LLM_URL, TUTOR_LLM_MODEL, TUTOR_LLM_KEY and TUTOR_LLM_TIMEOUT, each checked
        with a one-line fix (ConfigError) that names the variable."""
        url = env.get("TUTOR_LLM_URL", "").strip()
        if not url:
            raise ConfigError(
                "TUTOR_LLM_URL is not set: the base URL of an OpenAI-compatible server, e.g. "
                "http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1"
            )
        if not url.startswith(("http://", "https://")):
            raise ConfigError("TUTOR_LLM_URL must start with http:// or https://")
        model = env.get("TUTOR_LLM_MODEL", "").strip()
        if not model:
            raise ConfigError(
                "TUTOR_LLM_MODEL is not set: the model's name as the server knows it, e.g. "
                "llama3.1:8b (Ollama) or gpt-4o-mini"
            )
        key = env.get("TUTOR_LLM_KEY", "").strip() or None
        text = env.get("TUTOR_LLM_TIMEOUT", "").strip()
        try:
            timeout = float(text) if text else DEFAULT_TIMEOUT
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 3600:
            raise ConfigError(
                f"TUTOR_LLM_TIMEOUT must be a number of seconds (over 0, up to 3600), got {text!r}"
            )
        return cls(url=url, model=model, key=key, timeout=timeout)
