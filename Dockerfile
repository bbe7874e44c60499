# One image per service, built from the workspace lock file:
#   docker build --build-arg SERVICE=invoicing -t o2c-invoicing .
# The deployment issue adds per-service Dockerfiles, compose and Kubernetes validation on top of this.
FROM python:3.11-slim AS build
ARG SERVICE
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
COPY src ./src
RUN uv sync --locked --no-dev --no-editable --package o2c-${SERVICE}

FROM python:3.11-slim
ARG SERVICE
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 O2C_SERVICE=${SERVICE}
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin o2c
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/services/${SERVICE}/alembic.ini /app/alembic.ini
COPY --from=build /src/services/${SERVICE}/migrations /app/migrations
WORKDIR /app
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2)" || exit 1
CMD ["sh", "-c", "exec uvicorn o2c_${O2C_SERVICE}.main:create_app --factory --host 0.0.0.0 --port 8000"]
