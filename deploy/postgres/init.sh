#!/usr/bin/env bash
# Runs once, when the PostgreSQL container initialises an empty data directory
# (/docker-entrypoint-initdb.d). For each service: a login role with no other powers and a
# database it owns, which no other role may connect to. The services' migrations then create
# their tables as that owner; nothing runs as the superuser.
set -euo pipefail

# create NAME VARIABLE: the role's password is VARIABLE, or the file VARIABLE_FILE names (how
# compose.yaml hands it over, from the secrets volume that deploy/secrets/init.sh fills).
create() {
  local name=$1 variable=$2 file password
  file="${variable}_FILE"
  if [[ -n "${!file:-}" ]]; then
    password=$(<"${!file}")
  else
    password=${!variable:-}
  fi
  if [[ -z "$password" ]]; then
    echo "init.sh: the password for $name is empty (set $variable or ${variable}_FILE)" >&2
    exit 1
  fi
  # The password reaches psql through its environment, not an argument that `ps` would show.
  ROLE_PASSWORD="$password" psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    --set=name="$name" <<'SQL'
\getenv password ROLE_PASSWORD
CREATE ROLE :"name" LOGIN PASSWORD :'password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 50;
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"name" TO :"name";
SQL
  # PostgreSQL 15+ no longer lets PUBLIC create in schema public; make it explicit anyway and hand
  # the schema to the service's role.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$name" --set=name="$name" <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO :"name";
SQL
}

# generated:databases begin (npm run generate: every services/*/service.json with "database": true)
create auth AUTH_DB_PASSWORD
create main MAIN_DB_PASSWORD
create analytics ANALYTICS_DB_PASSWORD
# generated:databases end
