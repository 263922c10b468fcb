#!/usr/bin/env bash
# The AWS SDK example (examples/aws-sdk, outside the workspace) built and tested against
# moto's DynamoDB on loopback: moto from PyPI into a virtual environment under target/,
# the test through the real runtime loop and the mock Runtime API (see its tests/moto.rs,
# which starts and stops moto by its PID). Then a static release build for
# x86_64-unknown-linux-musl, as the function is deployed; the SDK's TLS stack (aws-lc-sys)
# builds C with musl-gcc there.
#
#   bash tests/aws-sdk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/target/moto-venv"
manifest="$root/examples/aws-sdk/Cargo.toml"
target_dir="$root/target/aws-sdk"

say() { printf '\n-- %s\n' "$*"; }

say "install moto[server] 5.2.5 (the version the tests were written against) into $venv"
if ! "$venv/bin/pip" show moto 2>/dev/null | grep -qx "Version: 5.2.5"; then
  python3 -m venv "$venv"
  timeout 600 "$venv/bin/pip" install --quiet "moto[server]==5.2.5"
fi

say "clippy and the tests of examples/aws-sdk against moto"
cargo clippy --manifest-path "$manifest" --locked --target-dir "$target_dir" --all-targets -- -D warnings
MOTO_SERVER="$venv/bin/moto_server" \
  cargo test --manifest-path "$manifest" --locked --target-dir "$target_dir" </dev/null

say "release build for x86_64-unknown-linux-musl"
cargo build --manifest-path "$manifest" --locked --target-dir "$target_dir" \
  --release --target x86_64-unknown-linux-musl
binary="$target_dir/x86_64-unknown-linux-musl/release/orders"
if readelf -l "$binary" | grep -q INTERP; then
  echo "orders is not a static binary"; exit 1
fi
echo "orders: $(stat -c %s "$binary") bytes, static"
