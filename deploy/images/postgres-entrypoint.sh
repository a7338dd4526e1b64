#!/bin/sh
# Entrypoint of localhost/refundworker-postgres: the same contract as the official postgres image for what the test
# fixtures (Testcontainers' PostgreSqlBuilder) and docker-compose use. POSTGRES_USER (a superuser, created by initdb),
# POSTGRES_PASSWORD (required) and POSTGRES_DB on the first start; arguments go to the server (`-c name=value`), an
# optional leading `postgres` is accepted. Runs as the postgres user (initdb refuses root).
set -eu
if [ "${1:-}" = postgres ]; then shift; fi
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${PGDATA:=/var/lib/postgresql/data}"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "refundworker-postgres: POSTGRES_PASSWORD must be set" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  # --no-sync: flushing a fresh cluster to disk is wasted time for a throwaway test server.
  "$bin/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null
  rm -f "$pwfile"
  # Clients come through the container's published port, from whatever address the engine's NAT gives them.
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\";" | "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "refundworker-postgres: initialised $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
fi

exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
