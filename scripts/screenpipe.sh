#!/usr/bin/env bash
# The real screenpipe (0.4.50, npm @screenpipe/cli-linux-x64) for tests and research; the tooling
# lives in tests/screenpipe/ (README there).
#
#   scripts/screenpipe.sh install          install into ${SCREENPIPE_CACHE:-~/.cache/screenpipe-real}
#   scripts/screenpipe.sh smoke            record a few seconds, check search finds a word on screen
#   scripts/screenpipe.sh fixture          re-record tests/screenpipe/fixtures/v0.4.50
#   scripts/screenpipe.sh probe            re-capture tests/screenpipe/captured (schema, API, import probe)
#   scripts/screenpipe.sh feb2026 DIR      build a February-2026-generation database in DIR
#   scripts/screenpipe.sh run ARGS...      run the screenpipe binary (e.g. `run search WORD --data-dir D --json`)
set -euo pipefail
T="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/screenpipe" && pwd)"
cmd=${1:-}; shift || true
case "$cmd" in
  install) exec bash "$T/install.sh" ;;
  smoke) exec bash "$T/smoke.sh" ;;
  fixture) exec bash "$T/record-fixture.sh" "$@" ;;
  probe) exec bash "$T/probe.sh" "$@" ;;
  feb2026) exec python3 "$T/feb2026.py" "$@" ;;
  run) bash "$T/install.sh" >/dev/null; exec "${SCREENPIPE_CACHE:-$HOME/.cache/screenpipe-real}/bin/screenpipe" "$@" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
