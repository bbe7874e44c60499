"""Where `make dev` keeps its local state (PostgreSQL data, logs, the mail it kept)."""

from pathlib import Path

DEFAULT_DATA_DIR = Path(".local")
