#!/usr/bin/env bash
# Makes sure the system libraries Attend links are present: OpenBLAS (CBLAS) and LAPACKE
# headers, found through pkg-config, and zlib's (the bounded .npz inflate). Installs them with apt-get when run as root; otherwise
# prints the exact command and stops. Safe to run repeatedly (it does nothing when all is there).
set -euo pipefail

have_headers() {
  command -v pkg-config >/dev/null 2>&1 || return 1
  pkg-config --exists openblas || return 1
  pkg-config --exists zlib || return 1
  local cflags
  cflags="$(pkg-config --cflags openblas) $(pkg-config --cflags zlib)"
  echo '#include <cblas.h>
#include <lapacke.h>
#include <zlib.h>
int main(void) { return 0; }' | cc -x c - $cflags -fsyntax-only >/dev/null 2>&1
}

if have_headers; then
  exit 0
fi

packages="libopenblas-dev liblapacke-dev zlib1g-dev pkg-config"
if [ "$(id -u)" -eq 0 ]; then
  echo "attend setup: installing $packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y $packages >&2
  have_headers || { echo "attend setup: OpenBLAS/LAPACKE/zlib headers still not found after install" >&2; exit 1; }
else
  echo "attend setup: OpenBLAS, LAPACKE or zlib headers are missing. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y $packages" >&2
  exit 1
fi
