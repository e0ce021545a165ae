#!/usr/bin/env bash
# One login role and one database per service ("a database per service"), each named
# after the service and owned by its role.  Creates only what is missing and never drops
# or alters anything, so running it again is a no-op.
#
#   MMX_SERVICE_DATABASES="auth backend data_pipelines"   (spaces or commas)
#   MMX_DB_PASSWORD_<SERVICE>=...   or   MMX_DB_PASSWORD_<SERVICE>_FILE=/run/secrets/...
#
# The official postgres image runs it from /docker-entrypoint-initdb.d on first start
# (keep it executable: a non-executable *.sh there is sourced into the entrypoint
# instead); the test harness runs it against its private server.  psql connects with the
# standard PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, falling back to the image's
# POSTGRES_USER/POSTGRES_DB.  Needs psql >= 15 (\getenv).
set -euo pipefail

export PGUSER="${PGUSER:-${POSTGRES_USER:-postgres}}"
export PGDATABASE="${PGDATABASE:-${POSTGRES_DB:-postgres}}"

log() { echo "10-create-service-databases: $*" >&2; }
die() { log "error: $*"; exit 1; }

list="${MMX_SERVICE_DATABASES:-}"
read -r -a services <<< "${list//,/ }"   # commas count as spaces; read -a does not glob
if ((${#services[@]} == 0)); then
    log "MMX_SERVICE_DATABASES is empty: nothing to create"
    exit 0
fi

# Check every name and password before creating anything: all or nothing.
declare -A passwords=()
for svc in "${services[@]}"; do
    # Lower-case identifiers need no quoting anywhere (URLs, env names, SQL); 63 = NAMEDATALEN-1.
    [[ "$svc" =~ ^[a-z_][a-z0-9_]*$ && ${#svc} -le 63 ]] \
        || die "invalid service name '$svc' (want ^[a-z_][a-z0-9_]*\$, at most 63 chars)"
    [[ "$svc" != pg_* && "$svc" != public && "$svc" != none ]] \
        || die "invalid service name '$svc': PostgreSQL reserves it for roles"
    var="MMX_DB_PASSWORD_${svc^^}"
    file_var="${var}_FILE"
    if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
        die "both $var and $file_var are set; set one"
    elif [[ -n "${!file_var:-}" ]]; then
        [[ -r "${!file_var}" ]] || die "$file_var: cannot read ${!file_var}"
        password="$(< "${!file_var}")"   # $(...) drops the trailing newline of the file
    else
        password="${!var:-}"
    fi
    [[ -n "$password" ]] || die "no password for service '$svc': set $var or $file_var"
    passwords[$svc]="$password"
done

for svc in "${services[@]}"; do
    # The name goes in as a psql variable, the password through the environment (not the
    # command line, where ps would show it); psql quotes them as :"identifier" and
    # :'literal', so no value can inject SQL.
    MMX_INIT_ROLE_PASSWORD="${passwords[$svc]}" \
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet -v name="$svc" <<'SQL'
\getenv password MMX_INIT_ROLE_PASSWORD
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') AS create_role,
       NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') AS create_database \gset
\if :create_role
    CREATE ROLE :"name" LOGIN PASSWORD :'password';
    \echo created role :name
\else
    \echo role :name exists: left unchanged
\endif
\if :create_database
    -- Only the owner (and superusers) may connect: other services' roles have no
    -- business in this database.
    CREATE DATABASE :"name" OWNER :"name";
    REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
    \echo created database :name
\else
    \echo database :name exists: left unchanged
\endif
SQL
done
