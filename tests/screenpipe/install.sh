#!/usr/bin/env bash
# Idempotent installer of the real screenpipe 0.4.50 CLI (npm package @screenpipe/cli-linux-x64)
# on Debian 12, following /work/shared/SCREENPIPE.md: the binary is built for glibc 2.39, so it runs
# through Debian 13's own loader and libraries, unpacked into a private folder (nothing system-wide
# changes except the apt packages xvfb, xterm, sqlite3 and, when missing, npm).
#
#   SCREENPIPE_CACHE   where everything goes (default $HOME/.cache/screenpipe-real)
#
# Result: $SCREENPIPE_CACHE/bin/screenpipe and $SCREENPIPE_CACHE/bin/tesseract wrappers.
# Prints only short progress lines; exits non-zero with a message on failure.
set -euo pipefail

SP_VERSION=0.4.50
C="${SCREENPIPE_CACHE:-$HOME/.cache/screenpipe-real}"
say() { printf 'screenpipe-install: %s\n' "$*"; }
die() { printf 'screenpipe-install: ERROR: %s\n' "$*" >&2; exit 1; }
quiet() { # run a command, show its output only if it fails
  local out
  if ! out=$("$@" 2>&1); then printf '%s\n' "$out" >&2; die "failed: $*"; fi
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

# --- 1. system packages: Xvfb, xterm, sqlite3 (and npm, dpkg-deb, fonts for xterm -fa) ------------
need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xterm >/dev/null || need+=(xterm)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v npm >/dev/null || need+=(npm)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || fc-list 2>/dev/null | grep -qi 'DejaVu Sans Mono' || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  say "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    quiet as_root apt-get update -qq
    quiet as_root apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
fi

# --- 2. Debian 13 (trixie) loader and libraries, unpacked privately --------------------------------
LIB="$C/root/usr/lib/x86_64-linux-gnu"
# SCREENPIPE.md's list, plus what a bare Debian 12 lacks (libpulse, libgbm, libwayland-client, libssl,
# liblzma, libsystemd, libXau, libXdmcp and their own dependencies): with these, every NEEDED library
# of screenpipe and tesseract resolves inside $C/root, whatever the system has installed.
DEBS=(libc6 libpipewire-0.3-0t64 libopenblas0-pthread libgfortran5 libspa-0.2-modules libdbus-1-3
      libxcb1 libxcb-shm0 libxcb-randr0 libxcb-xfixes0 libasound2t64 libstdc++6 libgcc-s1
      libgbm1 libdrm2 libexpat1 libwayland-client0 libffi8 liblzma5 libpulse0 libsndfile1 libasyncns0
      libx11-6 libx11-xcb1 libxau6 libxdmcp6 libbsd0 libmd0 libsystemd0 libcap2 libssl3t64 zlib1g
      libzstd1 libflac14 libmp3lame0 libmpg123-0t64 libogg0 libopus0 libvorbis0a libvorbisenc2)
if [ "$(cat "$C/.trixie-libs-done" 2>/dev/null)" != "${DEBS[*]}" ] || [ ! -x "$LIB/ld-linux-x86-64.so.2" ]; then
  say "fetching Debian 13 runtime libraries (private, under $C/root)"
  mkdir -p "$C/apt/lists/partial" "$C/apt/cache/archives/partial" "$C/debs" "$C/root"
  touch "$C/status"
  URI=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    URI=$(awk '/^URIs:/ {for (i=2;i<=NF;i++) if ($i !~ /security/) {print $i; exit}}' "$f" | head -1)
    [ -n "$URI" ] && break
  done
  if [ -z "$URI" ] && [ -e /etc/apt/sources.list ]; then
    URI=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^(https?|ftp):/) {print $i; exit}}' /etc/apt/sources.list | head -1)
  fi
  [ -n "$URI" ] || URI=http://deb.debian.org/debian
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $URI trixie main" > "$C/sources.list"
  O=(-o "Dir::Etc::SourceList=$C/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$C/apt/lists" -o "Dir::Cache=$C/apt/cache" -o "Dir::State::Status=$C/status")
  quiet apt-get "${O[@]}" update -qq
  rm -f "$C"/debs/*.deb
  chmod 755 "$C/debs" 2>/dev/null || true
  (cd "$C/debs" && quiet apt-get "${O[@]}" download "${DEBS[@]}")
  for d in "$C"/debs/*.deb; do dpkg-deb -x "$d" "$C/root"; done
  [ -x "$LIB/ld-linux-x86-64.so.2" ] || die "Debian 13 loader missing after unpacking"
  echo "${DEBS[*]}" > "$C/.trixie-libs-done"
  rm -rf "$C/apt" "$C/debs"   # ~200 MB of package lists and .debs, not needed once unpacked
fi

# --- 3. the npm package ---------------------------------------------------------------------------
if [ ! -x "$C/package/bin/screenpipe" ] || ! grep -q "\"version\": *\"$SP_VERSION\"" "$C/package/package.json" 2>/dev/null; then
  say "npm pack @screenpipe/cli-linux-x64@$SP_VERSION"
  rm -rf "$C/package"
  (cd "$C" && quiet npm pack --loglevel=error --no-progress --no-fund --no-audit "@screenpipe/cli-linux-x64@$SP_VERSION" \
     && tar xzf "screenpipe-cli-linux-x64-$SP_VERSION.tgz" && rm -f "screenpipe-cli-linux-x64-$SP_VERSION.tgz")
  chmod +x "$C/package/bin/screenpipe" "$C/package/bin/tesseract" 2>/dev/null || true
  [ -x "$C/package/bin/screenpipe" ] || die "npm package has no bin/screenpipe"
fi

# --- 4. wrappers ----------------------------------------------------------------------------------
mkdir -p "$C/bin"
cat > "$C/bin/screenpipe.new" <<WRAP
#!/bin/sh
# screenpipe $SP_VERSION (npm @screenpipe/cli-linux-x64) run through Debian 13's loader. Generated by install.sh.
LIB="$LIB"
export PATH="$C/bin:\$PATH"
exec "\$LIB/ld-linux-x86-64.so.2" --library-path "\$LIB:\$LIB/openblas-pthread:\$LIB/pulseaudio" "$C/package/bin/screenpipe" "\$@"
WRAP
cat > "$C/bin/tesseract.new" <<WRAP
#!/bin/sh
# The tesseract bundled with screenpipe, run through Debian 13's loader. Generated by install.sh.
LIB="$LIB"
export TESSDATA_PREFIX="$C/package/bin/tessdata"
exec "\$LIB/ld-linux-x86-64.so.2" --library-path "\$LIB:\$LIB/openblas-pthread:\$LIB/pulseaudio" "$C/package/bin/tesseract" "\$@"
WRAP
for w in screenpipe tesseract; do
  chmod +x "$C/bin/$w.new"
  if cmp -s "$C/bin/$w.new" "$C/bin/$w"; then rm -f "$C/bin/$w.new"; else mv -f "$C/bin/$w.new" "$C/bin/$w"; fi
done

# --- 5. check -------------------------------------------------------------------------------------
v=$("$C/bin/screenpipe" --version 2>&1) || die "screenpipe --version failed: $v"
case "$v" in *"$SP_VERSION"*) ;; *) die "screenpipe --version printed '$v', expected $SP_VERSION";; esac
"$C/bin/tesseract" --version >/dev/null 2>&1 || die "bundled tesseract does not run"
say "ok: $v ($C/bin/screenpipe)"
