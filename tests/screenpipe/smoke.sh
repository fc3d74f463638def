#!/usr/bin/env bash
# Smoke test of the real-screenpipe tooling: install screenpipe 0.4.50, record a virtual screen
# for a few seconds, and check that a word shown on screen comes back from
# `screenpipe search --json` (CLI, recorder running and stopped) and from `GET /search` (API).
#
#   bash tests/screenpipe/smoke.sh            (about 30 s once installed; CI calls it)
#
# Logs are kept in $SMOKE_DIR (default: a fresh /tmp/screenpipe-smoke.XXXXXX) and printed on failure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

W=${SMOKE_DIR:-$(mktemp -d /tmp/screenpipe-smoke.XXXXXX)}
mkdir -p "$W"
export SP_LOG_DIR="$W/logs"
passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'smoke: ok   %s\n' "$*"; }
ko() { failed=$((failed + 1)); printf 'smoke: FAIL %s\n' "$*"; }
finish() {
  sp_stop
  if [ "$failed" -gt 0 ] && [ -f "$SP_LOG_DIR/screenpipe.log" ]; then
    echo "--- last lines of $SP_LOG_DIR/screenpipe.log"; tail -n 30 "$SP_LOG_DIR/screenpipe.log" | sed 's/\x1b\[[0-9;]*m//g'
  fi
  echo "$passed passed, $failed failed"
}
trap finish EXIT

sp_install
PORT=""
for p in $(seq 3150 3199); do _sp_port_busy "$p" || { PORT=$p; break; }; done
[ -n "$PORT" ] || { ko "no free port in 3150-3199"; exit 1; }

# A word nobody else has on screen, mid-line (OCR crops characters at the left edge).
WORD="smoke$(od -An -N4 -tx4 /dev/urandom | tr -dc 'a-f0-9' | tr '0-9' 'ghijklmnop')"
printf '%s\n' "" "    screenpipe smoke test: the $WORD marker" "    ship the zanzibar prototype" > "$W/screen.txt"

if sp_record "$W/sp" "$PORT" smoke-key "$W/screen.txt" && sp_wait_word "$WORD" 90; then
  ok "recorder up, OCR frame with '$WORD' stored"
else
  ko "recorder did not store an OCR frame with '$WORD'"; exit 1
fi

out=$(sp_search "$W/sp" "$WORD" --content-type ocr)
check_cli='
import json, os, sys
word, data, out = sys.argv[1], sys.argv[2], sys.argv[3]
items = [json.loads(l) for l in out.splitlines() if l.strip().startswith("{")]
hits = [i for i in items if i["type"] == "OCR" and word in i["content"]["text"]]
assert hits, "no OCR item"
fp = hits[0]["content"]["file_path"]
assert fp.startswith(data) and fp.endswith(".jpg") and os.path.exists(fp), fp
'
if python3 -c "$check_cli" "$WORD" "$W/sp" "$out"; then ok "screenpipe search --json finds '$WORD' with its snapshot path (recorder running)"
else ko "screenpipe search --json did not return '$WORD': $out"; fi

api=$(sp_api "search?q=$WORD&content_type=ocr&limit=5" || true)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert any(sys.argv[2] in i["content"]["text"] for i in d["data"]); assert d["pagination"]["total"] >= 1' "$api" "$WORD" 2>/dev/null
then ok "GET /search (Bearer key) finds '$WORD'"; else ko "GET /search did not return '$WORD': ${api:0:300}"; fi

code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/search?q=$WORD")
if [ "$code" = 403 ]; then ok "GET /search without the key is refused (403)"; else ko "GET /search without key gave $code"; fi

sp_stop
out=$(sp_search "$W/sp" "$WORD" --content-type ocr)
if grep -q "$WORD" <<<"$out"; then ok "screenpipe search finds '$WORD' with the recorder stopped"
else ko "screenpipe search after stop: $out"; fi
[ "$failed" -eq 0 ]
