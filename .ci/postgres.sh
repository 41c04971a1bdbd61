#!/usr/bin/env bash
# Makes a local PostgreSQL ready for the registry tests, idempotently, on a Debian machine:
# installs the server from Debian packages when missing, starts the cluster, creates the test role
# and database, and prints the JDBC URL the tests read from STRATA_TEST_POSTGRES_URL.
#
#   eval "$(bash .ci/postgres.sh)"        # exports STRATA_TEST_POSTGRES_URL into this shell
#
# Progress goes to stderr; stdout carries only the export line. Must run as root (or with sudo
# rights to install packages and to act as the postgres user).
set -euo pipefail

role=${STRATA_PG_ROLE:-strata_test}
password=${STRATA_PG_PASSWORD:-strata_test}
database=${STRATA_PG_DATABASE:-strata_test}
port=${STRATA_PG_PORT:-5432}

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  log "installing PostgreSQL from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  # server installed but no cluster (e.g. removed by hand): create the default one
  newest=$(ls /usr/lib/postgresql | sort -n | tail -1)
  log "creating cluster $newest/main"
  pg_createcluster "$newest" main >&2
fi

# the newest installed cluster (Debian 12 ships 15)
read -r version cluster cport status _ < <(pg_lsclusters -h | sort -k1,1n | tail -1)
port=$cport
if [ "$status" != "online" ]; then
  log "starting cluster $version/$cluster on port $port"
  pg_ctlcluster "$version" "$cluster" start >&2 || service postgresql start >&2
fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -c "$(printf '%q ' "$@")"; fi
}

for _ in $(seq 1 30); do
  if as_postgres pg_isready -q -p "$port"; then break; fi
  sleep 1
done
as_postgres pg_isready -q -p "$port" || { log "PostgreSQL did not become ready on port $port"; exit 1; }

psql_admin() { as_postgres psql -v ON_ERROR_STOP=1 -q -p "$port" -d postgres "$@" >&2; }

if [ -z "$(as_postgres psql -p "$port" -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='$role'")" ]; then
  log "creating role $role"
  psql_admin -c "CREATE ROLE $role LOGIN PASSWORD '$password'"
fi
if [ -z "$(as_postgres psql -p "$port" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$database'")" ]; then
  log "creating database $database"
  psql_admin -c "CREATE DATABASE $database OWNER $role"
fi

url="jdbc:postgresql://127.0.0.1:$port/$database?user=$role&password=$password"
log "ready: PostgreSQL $version at 127.0.0.1:$port, database $database"
echo "export STRATA_TEST_POSTGRES_URL='$url'"
