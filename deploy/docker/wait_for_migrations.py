"""Init container of the API and worker pods: wait until the service's database is at the migration head.

    python /app/wait_for_migrations.py INVOICING_DATABASE_URL [/app/alembic.ini]

The migration Job applies the migrations; the pods of a release must not serve or consume before it has,
or a consumer could fail (and dead-letter) events on a table that does not exist yet. Polls every 2 s; the
pod's own restart policy and the Job's deadline bound the wait. Runs in the service image (/app holds
alembic.ini and migrations/).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import asyncpg
from alembic.config import Config
from alembic.script import ScriptDirectory

POLL_S = 2.0


async def current_revisions(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        return {row[0] for row in await conn.fetch("SELECT version_num FROM alembic_version")}
    except asyncpg.UndefinedTableError:
        return set()
    finally:
        await conn.close()


def main() -> None:
    url = os.environ[sys.argv[1]]
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    alembic_ini = sys.argv[2] if len(sys.argv) > 2 else "/app/alembic.ini"
    heads = set(ScriptDirectory.from_config(Config(alembic_ini)).get_heads())
    while True:
        try:
            current = asyncio.run(current_revisions(dsn))
        except (OSError, asyncpg.PostgresError) as exc:
            current = set()
            print(f"database not reachable yet: {type(exc).__name__}", flush=True)
        if current == heads:
            print(f"database at {sorted(heads)}", flush=True)
            return
        print(f"waiting for migrations: at {sorted(current)}, head {sorted(heads)}", flush=True)
        time.sleep(POLL_S)


if __name__ == "__main__":
    main()
