# syntax=docker/dockerfile:1.7
# The images of the four services, one build target each, all from the workspace lock file (uv.lock):
#
#   docker build --target invoicing   -t o2c-invoicing .
#   docker build --target collections -t o2c-collections .
#   docker build --target kpi         -t o2c-kpi .
#   docker build --target escalation  -t o2c-escalation .
#
# One Dockerfile with a target per service rather than four files: the services share one workspace, one lock
# file and the same third-party dependencies (all of them come from o2c-common), so the dependency layer is
# built once and shared, and the four targets differ only in the service package, its migrations, its port and
# its command. docker-compose.yml selects the target; tests/deploy checks targets, ports and commands against
# the code.
#
# Every image runs the HTTP API by default. The same image is the worker (outbox relay, consumers, background
# jobs) with <SERVICE>_RUN_WORKERS=true, the API alone with <SERVICE>_RUN_WORKERS=false, and the migration step
# with `alembic -c /app/alembic.ini upgrade heads`. The invoicing image also carries the portal simulator
# (`uvicorn o2c_invoicing.simulator.app:create_app --factory --port 8010`).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- build: third-party dependencies, then each service
FROM ${PYTHON_IMAGE} AS deps
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# the same uv as the Makefile; it stays in this stage
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
# every workspace member's pyproject.toml: uv checks the whole lock file (--locked) against them
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/pyproject.toml
COPY services/invoicing/pyproject.toml services/invoicing/pyproject.toml
COPY services/collections/pyproject.toml services/collections/pyproject.toml
COPY services/kpi/pyproject.toml services/kpi/pyproject.toml
COPY services/escalation/pyproject.toml services/escalation/pyproject.toml
COPY services/workforce/pyproject.toml services/workforce/pyproject.toml
# every service depends only on o2c-common, so its third-party packages are the whole dependency layer
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-workspace --package o2c-common
COPY libs/common libs/common

FROM deps AS build-invoicing
COPY services/invoicing services/invoicing
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev --no-editable --package o2c-invoicing

FROM deps AS build-collections
COPY services/collections services/collections
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev --no-editable --package o2c-collections

FROM deps AS build-kpi
COPY services/kpi services/kpi
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev --no-editable --package o2c-kpi

FROM deps AS build-escalation
COPY services/escalation services/escalation
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev --no-editable --package o2c-escalation

FROM deps AS build-workforce
COPY services/workforce services/workforce
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev --no-editable --package o2c-workforce

# ---------------------------------------------------------------- runtime: the interpreter, the venv, nothing else
FROM ${PYTHON_IMAGE} AS runtime
# no installer left in the final image; an unprivileged user with a fixed uid (Kubernetes runAsUser 10001)
RUN python -m pip uninstall --yes --quiet pip setuptools wheel 2>/dev/null; \
    groupadd --system --gid 10001 o2c && \
    useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin o2c
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# the init container of the Kubernetes pods: waits until the migration Job brought the schema to head
COPY deploy/docker/wait_for_migrations.py /app/wait_for_migrations.py
USER 10001:10001
STOPSIGNAL SIGTERM

FROM runtime AS invoicing
COPY --from=build-invoicing /opt/venv /opt/venv
COPY services/invoicing/alembic.ini /app/alembic.ini
COPY services/invoicing/migrations /app/migrations
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/health/live', timeout=2)"]
CMD ["uvicorn", "o2c_invoicing.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8001", "--no-access-log", "--timeout-graceful-shutdown", "20", "--timeout-keep-alive", "75"]

FROM runtime AS collections
COPY --from=build-collections /opt/venv /opt/venv
COPY services/collections/alembic.ini /app/alembic.ini
COPY services/collections/migrations /app/migrations
EXPOSE 8002
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8002/health/live', timeout=2)"]
CMD ["uvicorn", "o2c_collections.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8002", "--no-access-log", "--timeout-graceful-shutdown", "20", "--timeout-keep-alive", "75"]

FROM runtime AS kpi
COPY --from=build-kpi /opt/venv /opt/venv
COPY services/kpi/alembic.ini /app/alembic.ini
COPY services/kpi/migrations /app/migrations
EXPOSE 8003
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8003/health/live', timeout=2)"]
CMD ["uvicorn", "o2c_kpi.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8003", "--no-access-log", "--timeout-graceful-shutdown", "20", "--timeout-keep-alive", "75"]

FROM runtime AS escalation
COPY --from=build-escalation /opt/venv /opt/venv
COPY services/escalation/alembic.ini /app/alembic.ini
COPY services/escalation/migrations /app/migrations
EXPOSE 8004
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8004/health/live', timeout=2)"]
CMD ["uvicorn", "o2c_escalation.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8004", "--no-access-log", "--timeout-graceful-shutdown", "20", "--timeout-keep-alive", "75"]

FROM runtime AS workforce
COPY --from=build-workforce /opt/venv /opt/venv
COPY services/workforce/alembic.ini /app/alembic.ini
COPY services/workforce/migrations /app/migrations
EXPOSE 8005
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8005/health/live', timeout=2)"]
CMD ["uvicorn", "o2c_workforce.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8005", "--no-access-log", "--timeout-graceful-shutdown", "20", "--timeout-keep-alive", "75"]
