#!/bin/bash
# Runs once, when the postgres container initialises an empty data directory:
# one database per service (POSTGRES_MULTIPLE_DATABASES, comma-separated).
# Services also create their database if it is missing; this makes the compose setup
# visible up front and works with a role that may not CREATE DATABASE.
set -euo pipefail

IFS=',' read -ra databases <<< "${POSTGRES_MULTIPLE_DATABASES:-}"
for database in "${databases[@]}"; do
  database="$(echo "$database" | tr -d '[:space:]')"
  [ -z "$database" ] && continue
  if [[ ! "$database" =~ ^[a-z_][a-z0-9_]*$ ]]; then
    echo "init-databases: refusing odd database name '$database'" >&2
    exit 1
  fi
  exists="$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$database'")"
  if [ "$exists" = "1" ]; then
    echo "init-databases: $database exists"
  else
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c "CREATE DATABASE \"$database\""
    echo "init-databases: created $database"
  fi
done
