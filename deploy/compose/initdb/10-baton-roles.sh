#!/bin/sh
# Creates the owner and runtime roles (docs: README "Two database roles") from the URLs in
# the secrets, once, when the data directory is initialised. Passwords are hex (URL-safe).
set -eu
password_of() { sed -E 's#^[a-z]+://[^:]+:([^@]+)@.*$#\1#' "$1"; }
user_of() { sed -E 's#^[a-z]+://([^:]+):.*$#\1#' "$1"; }
owner=$(user_of /run/secrets/database_owner_url)
runtime=$(user_of /run/secrets/database_url)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner="$owner" -v owner_pw="$(password_of /run/secrets/database_owner_url)" \
  -v runtime="$runtime" -v runtime_pw="$(password_of /run/secrets/database_url)" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_pw';
CREATE ROLE :"runtime" LOGIN PASSWORD :'runtime_pw';
GRANT CONNECT, CREATE ON DATABASE baton TO :"owner";
GRANT CONNECT ON DATABASE baton TO :"runtime";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
