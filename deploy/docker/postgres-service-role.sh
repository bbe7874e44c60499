#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): the service role o2c_service, which the service connects
# as. The migration (as POSTGRES_USER, the owner) grants it its rights: on the audit trail INSERT and SELECT only
# (o2c_common/db/roles.py, docs/security.md "Audit trail and its verification"). A data volume made before this
# script existed needs it run once: docker compose exec postgres-<service> sh /docker-entrypoint-initdb.d/10-service-role.sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$POSTGRES_SERVICE_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE o2c_service LOGIN PASSWORD %L', :'password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'o2c_service') \gexec
SQL
