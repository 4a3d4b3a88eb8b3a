ARG BASE=python:3.12-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The bot runs as this user, and owns nothing but its data.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tutor \
    && mkdir -m 700 /data && chown tutor:tutor /data

WORKDIR /app

# 1. The dependencies, at the versions constraints.txt pins, from nothing but pyproject.toml's
#    list: a change to the code or the lessons reuses this layer. setuptools is here so that
#    step 2 builds the bot without fetching anything.
COPY pyproject.toml constraints.txt ./
RUN python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")' \
        > /tmp/requirements.txt \
    && python -m pip install -c constraints.txt -r /tmp/requirements.txt setuptools \
    && rm /tmp/requirements.txt

# 2. The bot itself, without its dependencies; the source and the build's leftovers go once it is
#    installed. The lessons come last: editing one only copies the lessons again.
COPY README.md ./
COPY bot ./bot
RUN python -m pip install --no-deps --no-build-isolation . \
    && rm -rf bot build ./*.egg-info
COPY content ./content

ENV TUTOR_DB=/data/tutor.db \
    TUTOR_CONTENT=/app/content
VOLUME ["/data"]
# Webhook mode only (TUTOR_WEBHOOK_URL): the port TUTOR_PORT's server listens on, by default.
EXPOSE 8443
USER tutor

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
# `docker stop` sends SIGTERM: python-telegram-bot stops polling, the store closes, exit code 0.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
