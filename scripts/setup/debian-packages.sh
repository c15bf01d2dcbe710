#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo need, when any is missing.
# chromium drives the real VS Code workbench and the webview tests; the -dev packages and pkg-config
# let code-server build its native modules; ripgrep feeds code-server's search; python3-torch with
# OpenBLAS is the benchmark's and the golden generator's reference, and the runtime probe's (python/, tested
# with python3-pytest).
set -euo pipefail
packages=(chromium libkrb5-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep python3-torch libopenblas0-pthread python3-nbformat python3-pytest)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "debian packages: all present"
  exit 0
fi
echo "debian packages: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
