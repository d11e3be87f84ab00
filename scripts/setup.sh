#!/usr/bin/env bash
# Installs what Portcullis needs and is missing, on Debian with only Rust installed.
# Quick when everything is there. Usage: scripts/setup.sh [--for-tests]
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
[ "${1:-}" = "--for-tests" ] && for_tests=true

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=false
apt_install() {
  if ! $apt_updated; then
    sudo_if_needed apt-get update -qq
    apt_updated=true
  fi
  say "apt-get install $*"
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The wasm target for the browser half of the console.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos: 0.3.10 is the newest that builds with this rustc; no_downloads makes it
# use the wasm-bindgen on PATH instead of fetching binaries.
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  say "cargo install cargo-leptos 0.3.10 (about 35 minutes the first time)"
  cargo install cargo-leptos@0.3.10 --locked --features no_downloads
fi

# wasm-bindgen-cli must be exactly the lockfile's wasm-bindgen.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
  say "cargo install wasm-bindgen-cli $want"
  cargo install "wasm-bindgen-cli@$want"
fi

# wasm-opt shrinks the release wasm bundle (cargo-leptos requires it for --release).
command -v wasm-opt >/dev/null || apt_install binaryen

# PostgreSQL server binaries for the embedded database.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

if $for_tests; then
  command -v chromium >/dev/null || apt_install chromium
  command -v node >/dev/null || apt_install nodejs npm
  # The SMTP-over-TLS test makes its certificates with the openssl command.
  command -v openssl >/dev/null || apt_install openssl
  # The SAML tests have their responses signed by xmlsec1 (libxmlsec, the reference
  # XML signature implementation), not by the code under test.
  command -v xmlsec1 >/dev/null || apt_install xmlsec1
  # The real AWS clients the API tests drive (aws CLI, boto3), in a virtualenv kept
  # outside the clone so CI's fresh clone reuses it.
  venv="${PORTCULLIS_VENV:-$HOME/.cache/portcullis/venv}"
  if ! "$venv/bin/python" -c 'import boto3, awscli' 2>/dev/null; then
    command -v python3 >/dev/null || apt_install python3
    python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    say "python venv with awscli and boto3 ($venv)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check awscli==1.46.3 boto3==1.44.8 botocore==1.44.8
  fi
  if [ ! -d end2end/node_modules/playwright-core ]; then
    say "npm ci (end2end)"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
