# apt_install PACKAGE...: installs Debian packages, running `apt-get update` only when the
# package lists are older than an hour (so scripts run one after another update once).
# Sourced by scripts/c-test.sh, riscv-test.sh and wasm-test.sh.
apt_install() {
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -n 1)" ]; then
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update || return 1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "$@"
}
