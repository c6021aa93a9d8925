# Lineside's development environment, sourced by ./dev (and so used by .ci/run, which runs ./dev test),
# under `set -euo pipefail`. Everything comes from the npm registry and Debian:
#   lineside_node           a Node that satisfies package.json engines first on PATH: the system one when it
#                           is new enough, else Node 24 from the registry package node-linux-<arch>@24,
#                           unpacked into .cache/node24 (native addons then build against its headers)
#   lineside_npm_install    npm ci when node_modules is missing, or was installed for another Node ABI or
#                           another package-lock.json (recorded in node_modules/.lineside-abi); then fills
#                           Node's compile cache (scripts/compile-cache.js)
#   lineside_test_packages  the Debian packages the integration tests run: mosquitto, socat, pymodbus, openssl

lineside_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Debian puts daemons (mosquitto) in /usr/sbin; a minimal PATH may lack it.
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH="$PATH:/usr/sbin:/sbin" ;; esac

lineside_say() { printf 'lineside: %s\n' "$*" >&2; }

# Does the first `node` on PATH satisfy engines? (bin/node-check.js prints why not; a Node too old to
# even parse it fails as well.)
lineside_node_ok() { command -v node >/dev/null 2>&1 && node "$lineside_root/bin/node-check.js" >/dev/null 2>&1; }

lineside_node() {
  local cache="$lineside_root/.cache" arch
  if [ -x "$cache/node24/bin/node" ] && ! lineside_node_ok; then lineside_use_node24 "$cache/node24"; fi
  lineside_node_ok && return 0
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) lineside_say "no Node 24 package for $(uname -m); install Node 24 LTS"; return 1 ;;
  esac
  command -v npm >/dev/null 2>&1 || { lineside_say "$(node --version 2>/dev/null || echo 'no node') and no npm to fetch Node 24 with: install Node 24 LTS, or npm (apt-get install npm)"; return 1; }
  lineside_npm_config
  lineside_say "system Node $(node --version 2>/dev/null || echo 'missing') is too old; fetching Node 24 (npm package node-linux-$arch@24) into .cache/node24"
  mkdir -p "$cache"
  local tmp tarball
  tmp=$(mktemp -d "$cache/node24.XXXXXX")
  # npm pack checks the tarball against the registry's integrity hash.
  tarball=$(cd "$tmp" && npm pack "node-linux-$arch@24" --silent | tail -n 1)
  tar -xzf "$tmp/$tarball" -C "$tmp"
  rm -rf "$cache/node24"
  mv "$tmp/package" "$cache/node24"
  rm -rf "$tmp"
  lineside_use_node24 "$cache/node24"
  lineside_node_ok || { lineside_say "$cache/node24/bin/node does not run here"; return 1; }
}

# npm finds its global config (registry, CA file) next to the node that runs it: keep the machine's one
# when another node comes first on PATH. A TLS-inspecting proxy's CA is in the system bundle; a Node of
# our own must trust it too.
lineside_npm_config() {
  if [ -z "${npm_config_globalconfig:-}" ]; then
    local globalconfig
    globalconfig=$(npm config get globalconfig 2>/dev/null || true)
    if [ -n "$globalconfig" ] && [ -f "$globalconfig" ]; then export npm_config_globalconfig="$globalconfig"; fi
  fi
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
}

lineside_use_node24() {
  command -v npm >/dev/null 2>&1 && lineside_npm_config
  export PATH="$1/bin:$PATH"
  # Native addons (better-sqlite3, serialport) build against these headers when no prebuild fits.
  export npm_config_nodedir="$1"
}

# What node_modules was installed for: this Node's ABI and platform, and this lockfile.
lineside_abi_stamp() {
  printf 'abi=%s platform=%s lock=%s\n' "$(node -p 'process.versions.modules')" "$(node -p 'process.platform + "-" + process.arch')" \
    "$(sha256sum "$lineside_root/package-lock.json" | cut -c1-16)"
}

lineside_npm_install() {
  local stamp_file="$lineside_root/node_modules/.lineside-abi" want
  want=$(lineside_abi_stamp)
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ]; then return 0; fi
  if [ -d "$lineside_root/node_modules" ]; then
    lineside_say "node_modules was installed for another Node or lockfile ($(cat "$stamp_file" 2>/dev/null || echo 'not recorded')); reinstalling for $want"
  fi
  command -v npm >/dev/null 2>&1 || { lineside_say "npm is missing: install Node 24 LTS (it includes npm)"; return 1; }
  lineside_npm_config
  (cd "$lineside_root" && npm ci --no-audit --no-fund)
  echo "$want" > "$stamp_file"
  # Compile everything once into Node's compile cache, which bin/lineside.js uses: even the first
  # `lineside` call then starts without the TypeScript stripper. Only an optimisation.
  node "$lineside_root/scripts/compile-cache.js" >/dev/null 2>&1 || true
}

# python3-serial-asyncio (and python3-serial): pymodbus.server imports them; python3-pymodbus only recommends them.
LINESIDE_TEST_PACKAGES=(mosquitto mosquitto-clients socat python3-pymodbus python3-serial-asyncio openssl postgresql chromium fonts-dejavu-core)

lineside_test_packages() {
  local missing=() p
  for p in "${LINESIDE_TEST_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { lineside_say "the tests need: apt-get install ${missing[*]} (as root)"; return 1; }
    sudo=(sudo)
  fi
  lineside_say "installing the Debian packages the tests use: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
