ARG BASE=python:3.12-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first, so a content or code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN python -m pip install .
COPY content ./content

RUN useradd --uid 10001 --user-group --no-create-home --home-dir /app tutor \
    && mkdir -p /app/data && chown tutor:tutor /app/data
USER tutor

ENV TUTOR_DB=/app/data/tutor.db \
    TUTOR_CONTENT=/app/content
VOLUME ["/app/data"]

HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
