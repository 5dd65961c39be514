# What the test scripts (firmware-test.sh, riscv-test.sh, c-test.sh, wasm-test.sh) share,
# sourced after they set ROOT (the repository) and SUITE (the name on the summary line):
# the pass/fail counts, and installing what a test needs.

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok:   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
# Prints the counts and exits: 0 when nothing failed.
finish() {
  echo "$SUITE: $passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then exit 0; else exit 1; fi
}

# expect_equal WHAT WANT GOT: passes when GOT equals a non-empty WANT, else shows both.
expect_equal() {
  if [ -n "$2" ] && [ "$3" = "$2" ]; then
    pass "$1"
  else
    fail "$1"
    echo "  want: $2"
    echo "  got:  $3"
  fi
}

# apt_install PACKAGE...: installs Debian packages, running `apt-get update` only when the
# package lists are older than an hour (so scripts run one after another update once).
apt_install() {
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -n 1)" ]; then
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update || return 1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "$@"
}

# need_packages 'CHECK PACKAGE...'...: installs (one apt_install) the packages of every CHECK
# that fails: a command on PATH, or a file when CHECK starts with `/`. Finishes on failure.
need_packages() {
  local spec check need=() packages=()
  for spec in "$@"; do
    check=${spec%% *}
    if [[ "$check" == /* ]]; then
      [ -e "$check" ] && continue
    else
      command -v "$check" >/dev/null && continue
    fi
    read -r -a packages <<<"${spec#* }"
    need+=("${packages[@]}")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    apt_install "${need[@]}" || { fail "apt-get install ${need[*]}"; finish; }
  fi
}

# need_rust_target DIR TARGET: the toolchain DIR builds with (its rust-toolchain.toml) has
# TARGET's standard library (rustup target add). Finishes on failure.
need_rust_target() {
  (cd "$1" && rustup show active-toolchain >/dev/null) || { fail "no Rust toolchain"; finish; }
  (cd "$1" && rustup target list --installed | grep -qx "$2") \
    || (cd "$1" && rustup target add "$2") || { fail "rustup target add $2"; finish; }
}

# need_venv: the test venv (.venv, with qcloud_cos). Finishes on failure.
need_venv() {
  if ! "$ROOT/.venv/bin/python" -c 'import qcloud_cos' 2>/dev/null; then
    "$ROOT/scripts/venv.sh" || { fail "scripts/venv.sh"; finish; }
  fi
}

# need_cargo_tool COMMAND CRATE VERSION: `COMMAND --version` says `COMMAND VERSION`, or cargo
# installs CRATE at VERSION: --locked first, then without it (for a tool whose own lock file
# names a crate version the registry no longer serves). Finishes on failure.
need_cargo_tool() {
  if [ "$("$1" --version 2>/dev/null)" != "$1 $3" ]; then
    cargo install "$2" --version "$3" --locked || cargo install "$2" --version "$3" \
      || { fail "cargo install $2 $3"; finish; }
  fi
}
