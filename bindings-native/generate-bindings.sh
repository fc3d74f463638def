#!/usr/bin/env bash
# Builds sync-native's shared library (bindings-native/ffi/, the uniffi interface) and the
# uniffi-bindgen binary (feature `uniffi-cli`), and generates the Python, Kotlin and Swift
# bindings from it.
#
# Usage: bindings-native/generate-bindings.sh [OUT_DIR]     (default: bindings-native/generated)
#   PROFILE=release   build optimised (default: debug; dependencies are optimised either way)
#   LANGUAGES="python kotlin swift"   the languages to generate (default: all three)
#
# Output:
#   OUT_DIR/python/sync_native.py + libsync_native.so   (import sync_native; the .so sits beside it)
#   OUT_DIR/kotlin/uniffi/sync_native/sync_native.kt + OUT_DIR/kotlin/libsync_native.so
#                                                        (needs JNA and kotlinx-coroutines; run java
#                                                        with -Djna.library.path=OUT_DIR/kotlin)
#   OUT_DIR/swift/sync_native.swift, sync_nativeFFI.h, sync_nativeFFI.modulemap
#                                                        (Swift cannot be compiled on Linux here; an
#                                                        Xcode project adds the three files and links
#                                                        the static or dynamic library built for iOS/macOS)
# Honours CARGO_TARGET_DIR (scripts/lib.sh's default: ~/.cache/screenpipe-sync/target).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

out="${1:-bindings-native/generated}"
profile="${PROFILE:-debug}"
languages="${LANGUAGES:-python kotlin swift}"
flag=()
[ "$profile" = release ] && flag=(--release)

log "build the cdylib and uniffi-bindgen ($profile)"
cargo build -p sync-native --features uniffi-cli --lib --bin uniffi-bindgen "${flag[@]}"
lib="$CARGO_TARGET_DIR/$profile/libsync_native.so"
bindgen="$CARGO_TARGET_DIR/$profile/uniffi-bindgen"
[ -f "$lib" ] || { echo "missing $lib" >&2; exit 1; }

mkdir -p "$out"
for language in $languages; do
  log "generate $language bindings into $out/$language"
  rm -rf "${out:?}/$language"
  mkdir -p "$out/$language"
  "$bindgen" generate "$lib" --language "$language" --out-dir "$out/$language" --no-format
  case "$language" in
    python|kotlin) cp "$lib" "$out/$language/" ;;
  esac
done

# Swift cannot be compiled here: check that generation produced the source, header and modulemap.
if [[ " $languages " == *" swift "* ]]; then
  for f in sync_native.swift sync_nativeFFI.h sync_nativeFFI.modulemap; do
    [ -s "$out/swift/$f" ] || { echo "swift generation did not produce $f" >&2; exit 1; }
  done
fi
echo "bindings in $out"
