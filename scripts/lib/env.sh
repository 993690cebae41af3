# Sourced by every script: one place for paths and the persistent build cache.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# Burn and wgpu take ~15 minutes to build cold on 2 cores: keep the target dir outside the
# checkout so fresh clones (and CI runs) on the same machine reuse it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/selfnorm/target}"
export PATH="$HOME/.cargo/bin:$PATH"
SELFNORM_BIN="$CARGO_TARGET_DIR/release/selfnorm"
SHARED_ARCHIVE="$ROOT/../shared/data/cifar-10-binary.tar.gz"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The native CLI, built in release mode when its sources changed.
build_cli() {
  log "building the selfnorm CLI (release)"
  cargo build --release --bin selfnorm -q
}

# The local CIFAR-10 archive to use when none was named: the workplace's shared copy.
default_archive() {
  if [[ -z "${SELFNORM_CIFAR10_ARCHIVE:-}" && -f "$SHARED_ARCHIVE" ]]; then
    export SELFNORM_CIFAR10_ARCHIVE="$SHARED_ARCHIVE"
  fi
}
