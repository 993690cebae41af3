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

CIFAR10_URL="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR10_MD5="c32a1d4ab5d03f1284b67883e8d87530"
CIFAR10_DOWNLOAD="data/downloads/cifar-10-binary.tar.gz"

# Prints the path of the official CIFAR-10 archive: $SELFNORM_CIFAR10_ARCHIVE, else the copy
# beside the repository, else data/downloads/ (downloaded once, its MD5 checked against the
# official one). Returns 1, with a message, when there is none and the download fails.
cifar10_archive() {
  default_archive
  if [[ -n "${SELFNORM_CIFAR10_ARCHIVE:-}" ]]; then
    [[ -f "$SELFNORM_CIFAR10_ARCHIVE" ]] || { echo "SELFNORM_CIFAR10_ARCHIVE=$SELFNORM_CIFAR10_ARCHIVE: no such file" >&2; return 1; }
    echo "$SELFNORM_CIFAR10_ARCHIVE"
    return
  fi
  if [[ ! -f "$CIFAR10_DOWNLOAD" ]]; then
    log "downloading $CIFAR10_URL (162 MB, once)"
    mkdir -p "$(dirname "$CIFAR10_DOWNLOAD")"
    curl -fL --progress-bar -o "$CIFAR10_DOWNLOAD.part" "$CIFAR10_URL" || {
      rm -f "$CIFAR10_DOWNLOAD.part"
      echo "the CIFAR-10 download failed; with no internet, name a local copy: SELFNORM_CIFAR10_ARCHIVE=/path/to/cifar-10-binary.tar.gz" >&2
      return 1
    }
    local got
    got=$(md5sum "$CIFAR10_DOWNLOAD.part" | cut -d' ' -f1)
    if [[ "$got" != "$CIFAR10_MD5" ]]; then
      rm -f "$CIFAR10_DOWNLOAD.part"
      echo "the downloaded archive has md5 $got, not the official $CIFAR10_MD5 (a damaged download): removed; run again" >&2
      return 1
    fi
    mv "$CIFAR10_DOWNLOAD.part" "$CIFAR10_DOWNLOAD"
  fi
  echo "$CIFAR10_DOWNLOAD"
}
