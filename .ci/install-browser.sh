#!/usr/bin/env bash
# Install the headless browser used by tests/browser/ (Debian's chromium plus a font).
#
# Idempotent: does nothing when /usr/bin/chromium already exists. Never downloads browsers
# through `playwright install`; the tests launch the system chromium directly.
# Needs apt-get (Debian/Ubuntu) and either root or a working sudo.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
PACKAGES=(chromium fonts-dejavu-core)

if [ -x "$CHROMIUM" ]; then
    echo "install-browser: $CHROMIUM is already installed; nothing to do."
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: $CHROMIUM is missing and apt-get is not available." >&2
    echo "install-browser: install Chromium by hand at $CHROMIUM (Debian package 'chromium')," >&2
    echo "install-browser: or run the browser tests on a Debian/Ubuntu machine." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "install-browser: $CHROMIUM is missing and this script is not running as root" >&2
    echo "install-browser: and sudo is unavailable (or needs a password). Install it with:" >&2
    echo "install-browser:   sudo apt-get update && sudo apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 1
fi

echo "install-browser: installing ${PACKAGES[*]} with apt-get ..."
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

if [ ! -x "$CHROMIUM" ]; then
    echo "install-browser: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")."
