# Sourced by scripts/test: starts a throwaway PostgreSQL 15 cluster (with
# PostGIS when installed) on 127.0.0.1 with wal_level=logical in a temporary
# directory, as the unprivileged `postgres` user when run as root, and
# exports its DSN as MERIDIAN_TEST_PG_DSN. pg_test_cluster_stop (installed as
# an EXIT trap) stops it and removes the directory.
#
#   source scripts/lib/pg_test_cluster.sh && pg_test_cluster_start
pg_test_cluster_start() {
  local bin=/usr/lib/postgresql/15/bin
  if [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 postgresql-15-postgis-3 >/dev/null 2>&1 || true
    fi
  fi
  if [ ! -x "$bin/initdb" ]; then
    echo "pg_test_cluster: PostgreSQL 15 not installed; CDC PostgreSQL tests will skip" >&2
    return 0
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/meridian-pg-XXXXXX)
  PG_TEST_PORT=${PG_TEST_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_TEST_DIR"
    as=(runuser -u postgres --)
  fi
  PG_TEST_AS=("${as[@]}")
  "${as[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U postgres -A trust --no-sync >/dev/null || return 1
  cat >>"$PG_TEST_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_TEST_PORT
unix_socket_directories = '$PG_TEST_DIR'
wal_level = logical
max_replication_slots = 10
max_wal_senders = 10
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  echo "host replication all 127.0.0.1/32 trust" >>"$PG_TEST_DIR/data/pg_hba.conf"
  "${as[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w start >/dev/null || { cat "$PG_TEST_DIR/log" >&2; return 1; }
  export MERIDIAN_TEST_PG_DSN="host=127.0.0.1 port=$PG_TEST_PORT dbname=postgres user=postgres"
  # How tests restart the server: MERIDIAN_TEST_PG_CTL="<command> restart"
  export MERIDIAN_TEST_PG_CTL="${as[*]} $bin/pg_ctl -D $PG_TEST_DIR/data -l $PG_TEST_DIR/log -w"
  trap pg_test_cluster_stop EXIT
}

pg_test_cluster_stop() {
  if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR" ]; then
    "${PG_TEST_AS[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
