#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh npm test
#   scripts/with-postgres.sh npx vitest run test/stores/postgres.test.ts
#   scripts/with-postgres.sh --find-bin     # prints the directory holding initdb/pg_ctl, or exits 1
#
# Creates a fresh cluster in a temporary directory, starts it on a free port on 127.0.0.1 with a
# random password, exports DATABASE_URL=postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres, runs
# the command, then stops the server and removes the directory, whatever the command's outcome.
# Needs the PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin
# (Debian: apt-get install postgresql). As root the server runs as the `postgres` user, because
# PostgreSQL refuses to run as root.
set -euo pipefail

# Prints the directory holding initdb and pg_ctl: PATH first, then the newest Debian/Ubuntu install.
find_postgres_bin() {
  local initdb_path
  if initdb_path="$(command -v initdb 2>/dev/null)" && command -v pg_ctl >/dev/null 2>&1; then
    # Resolve symlinks (Debian links /usr/local/bin/initdb into /usr/lib/postgresql/*/bin).
    dirname "$(readlink -f "$initdb_path" 2>/dev/null || echo "$initdb_path")"
    return 0
  fi
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [[ "${1:-}" == "--find-bin" ]]; then
  find_postgres_bin
  exit
fi

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGUMENT...]   (or: $0 --find-bin)" >&2
  exit 2
fi

if ! bin_dir="$(find_postgres_bin)"; then
  echo "with-postgres: initdb/pg_ctl not found on PATH or under /usr/lib/postgresql/*/bin." >&2
  echo "with-postgres: install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql)." >&2
  exit 1
fi

# PostgreSQL will not run as root: as root, run the server as `postgres` (created by the Debian
# package); otherwise run it as the current user. (Expanded as ${a[@]+"${a[@]}"} below because an
# empty array trips `set -u` in bash before 4.4.)
as_server_user=()
if [[ "$(id -u)" -eq 0 ]]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with-postgres: running as root and there is no \`postgres\` user to run the server as." >&2
    exit 1
  fi
  as_server_user=(runuser -u postgres --)
fi

base_dir="$(mktemp -d "${TMPDIR:-/tmp}/with-postgres.XXXXXX")"
data_dir="$base_dir/data"
socket_dir="$base_dir/socket"
log_file="$base_dir/server.log"
password_file="$base_dir/password"
server_started=false

cleanup() {
  if [[ "$server_started" == true ]]; then
    ${as_server_user[@]+"${as_server_user[@]}"} "$bin_dir/pg_ctl" -D "$data_dir" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$base_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server user must reach its directories inside the (private) temporary directory.
chmod 0755 "$base_dir"
if [[ "$(id -u)" -eq 0 ]]; then
  install -d -m 0700 -o postgres "$data_dir" "$socket_dir"
  install -m 0600 -o postgres /dev/null "$password_file"
  install -m 0644 -o postgres /dev/null "$log_file"
else
  install -d -m 0700 "$data_dir" "$socket_dir"
  install -m 0600 /dev/null "$password_file"
fi

password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" >"$password_file"

# Host connections need the password (scram); the local socket is trusted so pg_ctl can check.
${as_server_user[@]+"${as_server_user[@]}"} "$bin_dir/initdb" -D "$data_dir" -U postgres --pwfile="$password_file" \
  --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C --no-sync >"$base_dir/initdb.log" 2>&1 || {
  cat "$base_dir/initdb.log" >&2
  exit 1
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();});"
}

# Another process may grab the port between free_port and the server's bind: retry a few times.
for attempt in 1 2 3; do
  port="$(free_port)"
  # A throwaway server: durability settings off for speed.
  if ${as_server_user[@]+"${as_server_user[@]}"} "$bin_dir/pg_ctl" -D "$data_dir" -l "$log_file" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $socket_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null; then
    server_started=true
    break
  fi
  echo "with-postgres: server did not start on port $port (attempt $attempt):" >&2
  tail -n 20 "$log_file" >&2 || true
done
if [[ "$server_started" != true ]]; then
  exit 1
fi

# pg_ctl -w already waited for the server; this confirms it accepts TCP connections too.
if [[ -x "$bin_dir/pg_isready" ]]; then
  for _ in $(seq 1 60); do
    if "$bin_dir/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 0.5
  done
fi

export DATABASE_URL="postgres://postgres:$password@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bin_dir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (data in $data_dir)" >&2

status=0
"$@" || status=$?
exit "$status"
