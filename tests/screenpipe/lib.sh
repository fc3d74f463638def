# Helpers to run the REAL screenpipe 0.4.50 on a virtual screen (Xvfb + xterm + OCR) for tests and CI.
# Source it (bash); do not run it. Functions return non-zero with a message on stderr on failure.
#
#   sp_install                                  install.sh (idempotent, quiet)
#   sp_record DATA_DIR PORT API_KEY TEXTFILE    Xvfb on a free display + xterm showing TEXTFILE +
#                                               `screenpipe record` in the background; returns when
#                                               /health answers and a frame with OCR text is in the DB
#   sp_show TEXT...                             replace what the xterm shows (lines); screenpipe sees the
#                                               change and captures a new frame (within a few seconds)
#   sp_wait_word WORD [TIMEOUT]                 wait until a frame whose OCR text contains WORD is stored
#   sp_wait_frames N [TIMEOUT]                  wait until at least N frames with OCR text are stored
#   sp_api PATH [curl args...]                  GET http://127.0.0.1:PORT/PATH with the Bearer key
#   sp_search DATA_DIR WORD [search args...]    `screenpipe search WORD --data-dir DATA_DIR --json`
#   sp_db_copy DATA_DIR DEST                    consistent single-file copy of DATA_DIR/db.sqlite
#                                               (online backup, journal_mode=DELETE: no -wal/-shm)
#   sp_stop                                     stop screenpipe (SIGINT, then SIGKILL), xterm, Xvfb
#   sp_fixture_copy DEST [FIXTURE_DIR]          copy a recorded fixture (default fixtures/v0.4.50) to
#                                               DEST (a screenpipe data folder) and rewrite its absolute
#                                               paths from the recording prefix to DEST
#   sp_screenshot OUT.png                       (needs imagemagick's `import`) picture of the screen
#
# Settings (environment):
#   SCREENPIPE_CACHE   install folder (default $HOME/.cache/screenpipe-real)
#   SP_LOG_DIR         where logs and pid files go (default DATA_DIR.logs, beside DATA_DIR)
#   SP_SCREEN          Xvfb screen (default 800x480x24), SP_FONT_SIZE xterm font size (default 16)
#   SP_TIMEOUT         seconds to wait for health and the first OCR frame (default 120)
#   SP_RECORD_ARGS     extra arguments for `screenpipe record` (word-split)
# State of the running recorder: SP_DATA_DIR, SP_PORT, SP_API_KEY, SP_DISPLAY, SP_TEXTFILE, SP_LOG_DIR,
# SP_PIDS (and SP_LOG_DIR/pids, so another shell can `sp_stop_dir LOG_DIR`).

SP_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SP_CACHE="${SCREENPIPE_CACHE:-$HOME/.cache/screenpipe-real}"
SP_BIN="$SP_CACHE/bin/screenpipe"

_sp_err() { printf 'screenpipe-lib: ERROR: %s\n' "$*" >&2; }
_sp_log() { [ -n "${SP_QUIET:-}" ] || printf 'screenpipe-lib: %s\n' "$*" >&2; }

sp_install() { bash "$SP_LIB_DIR/install.sh"; }

_sp_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_sp_sql() { # DB SQL -> output (retries on 'database is locked')
  local i out
  for i in 1 2 3 4 5; do
    if out=$(sqlite3 -cmd '.timeout 5000' "$1" "$2" 2>&1); then printf '%s\n' "$out"; return 0; fi
    sleep 0.5
  done
  printf '%s\n' "$out" >&2; return 1
}

_sp_alive() { kill -0 "$1" 2>/dev/null; }

_sp_fail_record() { # message: print it, the end of the screenpipe log, and stop what was started
  _sp_err "$1"
  if [ -n "${SP_LOG_DIR:-}" ] && [ -f "$SP_LOG_DIR/screenpipe.log" ]; then
    printf -- '--- last lines of %s ---\n' "$SP_LOG_DIR/screenpipe.log" >&2
    tail -n 25 "$SP_LOG_DIR/screenpipe.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
  fi
  sp_stop
  return 1
}

# sp_record DATA_DIR PORT API_KEY TEXTFILE
sp_record() {
  if [ $# -ne 4 ]; then _sp_err "usage: sp_record DATA_DIR PORT API_KEY TEXTFILE"; return 2; fi
  local data_dir port key textfile
  data_dir=$(mkdir -p "$1" && cd "$1" && pwd) || { _sp_err "cannot create $1"; return 1; }
  port=$2 key=$3
  textfile=$(cd "$(dirname "$4")" && pwd)/$(basename "$4")
  [ -f "$textfile" ] || { _sp_err "no such text file: $4"; return 1; }
  [ -x "$SP_BIN" ] || { _sp_err "$SP_BIN missing: run sp_install first"; return 1; }
  local c; for c in Xvfb xterm sqlite3 curl; do
    command -v "$c" >/dev/null || { _sp_err "$c not installed: run sp_install first"; return 1; }
  done
  if [ -n "${SP_PIDS:-}" ]; then _sp_err "a recorder is already running (SP_PIDS=$SP_PIDS): sp_stop first"; return 1; fi
  if _sp_port_busy "$port"; then _sp_err "port $port is already in use"; return 1; fi

  SP_DATA_DIR=$data_dir SP_PORT=$port SP_API_KEY=$key SP_TEXTFILE=$textfile
  SP_LOG_DIR=${SP_LOG_DIR:-$data_dir.logs}
  mkdir -p "$SP_LOG_DIR" "$SP_LOG_DIR/home"
  SP_LOG_DIR=$(cd "$SP_LOG_DIR" && pwd)
  SP_PIDS=""
  local timeout=${SP_TIMEOUT:-120}

  # 1. Xvfb on a free display: -displayfd makes the server pick one and print it when ready.
  local dfile="$SP_LOG_DIR/display"; : > "$dfile"
  setsid Xvfb -displayfd 1 -screen 0 "${SP_SCREEN:-800x480x24}" -nolisten tcp -noreset \
    >"$dfile" 2>"$SP_LOG_DIR/xvfb.log" </dev/null &
  local xvfb=$!; SP_PIDS="$xvfb"; echo "$SP_PIDS" > "$SP_LOG_DIR/pids"
  local t=0
  while [ ! -s "$dfile" ]; do
    _sp_alive "$xvfb" || { _sp_fail_record "Xvfb exited (see $SP_LOG_DIR/xvfb.log)"; return 1; }
    [ $t -ge 100 ] && { _sp_fail_record "Xvfb gave no display within 10 s"; return 1; }
    sleep 0.1; t=$((t + 1))
  done
  SP_DISPLAY=":$(head -n1 "$dfile" | tr -d '[:space:]')"

  # 2. xterm showing the text file; it redraws whenever the file changes (sp_show).
  cat > "$SP_LOG_DIR/view.sh" <<'VIEW'
#!/bin/sh
# Show a text file full screen; redraw (in one write, cursor hidden) when the file changes.
f=$1; last=""
printf '\033[?25l'
while :; do
  cur=$(stat -c '%Y.%s.%i' "$f" 2>/dev/null)
  if [ "$cur" != "$last" ]; then
    out=$(cat "$f"; printf x); printf '\033[H\033[2J%s' "${out%x}"; last=$cur
  fi
  sleep 0.3
done
VIEW
  local cols rows geom
  geom=${SP_SCREEN:-800x480x24}
  cols=$(( ${geom%%x*} / ( ${SP_FONT_SIZE:-16} * 62 / 100 + 1 ) )) rows=30
  DISPLAY=$SP_DISPLAY setsid xterm -fa Monospace -fs "${SP_FONT_SIZE:-16}" -bg white -fg black \
    +sb -b 0 -geometry "${cols}x${rows}+0+0" -e sh "$SP_LOG_DIR/view.sh" "$textfile" \
    >"$SP_LOG_DIR/xterm.log" 2>&1 </dev/null &
  SP_PIDS="$SP_PIDS $!"; echo "$SP_PIDS" > "$SP_LOG_DIR/pids"
  sleep 1
  _sp_alive "${SP_PIDS##* }" || { _sp_fail_record "xterm exited (see $SP_LOG_DIR/xterm.log)"; return 1; }

  # 3. screenpipe. HOME is private (it writes ~/.screenpipe/machine_id and caches there).
  # shellcheck disable=SC2086
  SCREENPIPE_API_KEY=$key DISPLAY=$SP_DISPLAY HOME="$SP_LOG_DIR/home" PATH="$SP_CACHE/bin:$PATH" \
    setsid "$SP_BIN" record --data-dir "$data_dir" --port "$port" --disable-audio --disable-telemetry \
    --use-pii-removal false ${SP_RECORD_ARGS:-} >"$SP_LOG_DIR/screenpipe.log" 2>&1 </dev/null &
  local sp=$!; SP_PIDS="$SP_PIDS $sp"; echo "$SP_PIDS" > "$SP_LOG_DIR/pids"
  echo "$sp" > "$SP_LOG_DIR/screenpipe.pid"

  t=0
  until curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
    _sp_alive "$sp" || { _sp_fail_record "screenpipe exited before /health answered"; return 1; }
    [ $t -ge "$timeout" ] && { _sp_fail_record "/health on port $port did not answer within ${timeout}s"; return 1; }
    sleep 1; t=$((t + 1))
  done
  _sp_log "recording on display $SP_DISPLAY, port $port, data $data_dir, logs $SP_LOG_DIR"
  sp_wait_frames 1 "$timeout" || { _sp_fail_record "no frame with OCR text within ${timeout}s"; return 1; }
}

# sp_show LINE... : what the xterm shows from now on (each argument one line).
sp_show() {
  [ -n "${SP_TEXTFILE:-}" ] || { _sp_err "sp_show: no recorder running"; return 1; }
  printf '%s\n' "$@" > "$SP_TEXTFILE.tmp" && mv -f "$SP_TEXTFILE.tmp" "$SP_TEXTFILE"
}

_sp_wait_sql() { # SQL-returning-count N TIMEOUT what
  local sql=$1 n=$2 timeout=$3 t=0 got
  while :; do
    got=$(_sp_sql "$SP_DATA_DIR/db.sqlite" "$sql" 2>/dev/null || echo 0)
    [ "${got:-0}" -ge "$n" ] 2>/dev/null && return 0
    if [ -n "${SP_LOG_DIR:-}" ] && ! _sp_alive "$(cat "$SP_LOG_DIR/screenpipe.pid" 2>/dev/null)"; then
      _sp_err "screenpipe is not running (waiting for $4)"; return 1
    fi
    [ $t -ge "$timeout" ] && { _sp_err "timeout after ${timeout}s waiting for $4 (have ${got:-0})"; return 1; }
    sleep 1; t=$((t + 1))
  done
}

sp_wait_frames() { # N [TIMEOUT]
  _sp_wait_sql "SELECT count(*) FROM frames WHERE full_text IS NOT NULL AND full_text != ''" \
    "$1" "${2:-${SP_TIMEOUT:-120}}" "$1 frame(s) with OCR text"
}

sp_wait_word() { # WORD [TIMEOUT]
  local w=${1//\'/\'\'}
  _sp_wait_sql "SELECT count(*) FROM frames WHERE full_text LIKE '%$w%'" 1 "${2:-${SP_TIMEOUT:-120}}" \
    "a frame whose OCR text contains '$1'"
}

sp_api() { # PATH [curl args...]
  local p=$1; shift
  curl -fsS -m 30 -H "Authorization: Bearer $SP_API_KEY" "$@" "http://127.0.0.1:$SP_PORT/${p#/}"
}

sp_search() { # DATA_DIR WORD [more search args]
  local dir=$1 word=$2; shift 2
  HOME="${SP_LOG_DIR:-$dir}/home" "$SP_BIN" search "$word" --data-dir "$dir" --json "$@"
}

sp_db_copy() { # DATA_DIR DEST: consistent single-file copy, even while screenpipe writes
  # SQLite's online backup (page copy of one read snapshot, WAL content included). Not VACUUM
  # INTO: that re-runs speaker_embeddings' CHECK, which calls sqlite-vec's vec_length.
  rm -f "$2" "$2-wal" "$2-shm" "$2-journal"
  _sp_sql "$1/db.sqlite" ".backup '${2//\'/\'\'}'" >/dev/null || return 1
  _sp_sql "$2" "PRAGMA journal_mode=DELETE" >/dev/null || return 1
}

_sp_kill_wait() { # PID SIGNAL SECONDS: signal the process group we started, wait for the leader
  local pid=$1 sig=$2 s=$3 t=0
  _sp_alive "$pid" || return 0
  kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null
  while _sp_alive "$pid" && [ $t -lt $((s * 10)) ]; do sleep 0.1; t=$((t + 1)); done
  ! _sp_alive "$pid"
}

sp_stop() { # stop what sp_record started (only those pids), newest first
  local pids=${SP_PIDS:-} p rev=""
  [ -z "$pids" ] && [ -n "${SP_LOG_DIR:-}" ] && [ -f "$SP_LOG_DIR/pids" ] && pids=$(cat "$SP_LOG_DIR/pids")
  for p in $pids; do rev="$p $rev"; done
  for p in $rev; do
    _sp_kill_wait "$p" INT 20 || _sp_kill_wait "$p" TERM 5 || _sp_kill_wait "$p" KILL 5
    wait "$p" 2>/dev/null || true
  done
  [ -n "${SP_LOG_DIR:-}" ] && rm -f "$SP_LOG_DIR/pids"
  SP_PIDS=""
  return 0
}

sp_stop_dir() { SP_PIDS="" SP_LOG_DIR=$1 sp_stop; } # LOG_DIR: stop a recorder started by another shell

SP_FIXTURE_PREFIX=/tmp/screenpipe-fixture-v0.4.50  # the data folder record-fixture.sh records into

sp_fixture_copy() { # DEST [FIXTURE_DIR]
  local fx=${2:-$SP_LIB_DIR/fixtures/v0.4.50} dest
  [ -f "$fx/db.sqlite" ] || { _sp_err "no fixture at $fx"; return 1; }
  mkdir -p "$1" && dest=$(cd "$1" && pwd) || return 1
  [ ! -e "$dest/db.sqlite" ] || { _sp_err "$dest/db.sqlite exists"; return 1; }
  cp "$fx/db.sqlite" "$dest/db.sqlite" && cp -R "$fx/data" "$dest/" || return 1
  local q=${dest//\'/\'\'}
  _sp_sql "$dest/db.sqlite" "
    UPDATE frames SET snapshot_path = replace(snapshot_path, '$SP_FIXTURE_PREFIX', '$q'),
                      name = replace(name, '$SP_FIXTURE_PREFIX', '$q')
     WHERE snapshot_path LIKE '$SP_FIXTURE_PREFIX/%' OR name LIKE '$SP_FIXTURE_PREFIX/%';
    UPDATE video_chunks SET file_path = replace(file_path, '$SP_FIXTURE_PREFIX', '$q')
     WHERE file_path LIKE '$SP_FIXTURE_PREFIX/%';
    UPDATE audio_chunks SET file_path = replace(file_path, '$SP_FIXTURE_PREFIX', '$q')
     WHERE file_path LIKE '$SP_FIXTURE_PREFIX/%';" >/dev/null
}

sp_screenshot() { # OUT.png
  DISPLAY=$SP_DISPLAY import -window root "$1"
}
