#!/usr/bin/env bash
# The examples built, packaged and invoked with cargo-lambda, as a user would: installed
# from PyPI into a virtual environment under target/, Zig from the ziglang wheel.
#
#   bash tests/cargo-lambda.sh
#
# Every process it starts is stopped by its PID; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/target/cargo-lambda-venv"
lambda_dir="$root/target/lambda"

say() { printf '\n-- %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

say "install cargo-lambda and ziglang into $venv"
if [ ! -x "$venv/bin/cargo-lambda" ]; then
  python3 -m venv "$venv"
  timeout 600 "$venv/bin/pip" install --quiet cargo-lambda ziglang
fi
export PATH="$venv/bin:$PATH"
cargo lambda --version
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu

say "cargo lambda build --release: every example, and the panicking fixture"
(cd examples && timeout 900 cargo lambda build --release --lambda-dir "$lambda_dir")
(cd tests && timeout 900 cargo lambda build --release --bin fixture_faults --lambda-dir "$lambda_dir")
for name in hello echo http_echo redirect stream_lines fixture_faults; do
  [ -x "$lambda_dir/$name/bootstrap" ] || fail "no $lambda_dir/$name/bootstrap"
done

say "cargo lambda build --release --arm64"
(cd examples && timeout 900 cargo lambda build --release --arm64 --bin hello --lambda-dir "$root/target/lambda-arm64")
readelf -h "$root/target/lambda-arm64/hello/bootstrap" | grep -q 'AArch64' || fail "the --arm64 build is not AArch64"

say "cargo lambda build --release --output-format zip: bootstrap at the root, executable"
(cd examples && timeout 900 cargo lambda build --release --bin hello --output-format zip --lambda-dir "$root/target/lambda-zip")
python3 - "$root/target/lambda-zip/hello/bootstrap.zip" <<'PY'
import stat, sys, zipfile
entries = zipfile.ZipFile(sys.argv[1]).infolist()
names = [entry.filename for entry in entries]
assert names == ["bootstrap"], f"entries: {names}"
mode = entries[0].external_attr >> 16
assert stat.S_ISREG(mode) and mode & 0o111 == 0o111, f"mode {oct(mode)}"
print(f"bootstrap.zip holds exactly bootstrap, mode {oct(mode)}")
PY

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  fail "nothing listens on port $1"
}

port=$(free_port)
say "cargo lambda watch --only-lambda-apis on 127.0.0.1:$port"
# It must run where a Cargo.toml declares binaries. Long options only: -A means
# --invoke-address here but --data-ascii for invoke.
(cd examples && exec cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port") \
  >"$root/target/cargo-lambda-watch.log" 2>&1 </dev/null &
watcher=$!
function_pid=""
stop_all() {
  [ -n "$function_pid" ] && kill "$function_pid" 2>/dev/null || true
  kill "$watcher" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all EXIT
wait_for_port "$port"

# Starts a function against the watcher with the variables the watcher asks for. In this
# mode the watcher serves one function, named `_`.
start_function() {
  local name=$1; shift
  env "$@" AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt" AWS_LAMBDA_FUNCTION_NAME=_ \
    AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=4096 \
    "$lambda_dir/$name/bootstrap" >"$root/target/cargo-lambda-$name.log" 2>&1 </dev/null &
  function_pid=$!
}
stop_function() {
  kill "$function_pid" 2>/dev/null || true
  wait "$function_pid" 2>/dev/null || true
  function_pid=""
}

# invoke DATA EXPECTED_EXIT EXPECTED_OUTPUT: the output is stdout, or for a failure the
# first line of stderr (cargo-lambda prints `Error: <errorType>`).
invoke() {
  local data=$1 expected_exit=$2 expected=$3 out err status=0
  out=$(timeout 60 cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$port" \
    --data-ascii "$data" _ 2>"$root/target/cargo-lambda-invoke.err" </dev/null) || status=$?
  err=$(head -n 1 "$root/target/cargo-lambda-invoke.err")
  [ "$status" = "$expected_exit" ] || fail "invoke $data: exit $status, expected $expected_exit ($out $err)"
  local got=$out
  [ "$expected_exit" = 0 ] || got=$err
  [ "$got" = "$expected" ] || fail "invoke $data: got '$got', expected '$expected'"
  echo "ok: $data -> $got"
}

say "hello: a success, a handler error, a bad event"
start_function hello
invoke '{"name":"watch"}' 0 '{"message":"Hello, watch!"}'
invoke '{"nom":"x"}' 1 'Error: SerdeJsonError'
invoke 'not json' 1 'Error: Runtime.InvalidEvent'
stop_function

say "echo"
start_function echo
invoke '{"httpMethod":"GET","path":"/hi"}' 0 \
  '{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"GET /hi\n","isBase64Encoded":false}'
stop_function

say "http_echo: a function URL event"
start_function http_echo
invoke '{"version":"2.0","rawPath":"/hi","rawQueryString":"a=1&b=x%20y","requestContext":{"http":{"method":"GET"}},"body":"z"}' 0 \
  '{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"method: GET\npath: /hi\nquery: a=1&b=x y\nbody: z\n","isBase64Encoded":false}'
stop_function

say "redirect"
start_function redirect REDIRECT_TO=https://example.com/new
invoke '{}' 0 '{"statusCode":307,"headers":{"Location":"https://example.com/new"}}'
stop_function

say "a panic is reported, and the same process serves on"
start_function fixture_faults
invoke '{"do":"panic"}' 1 'Error: Runtime.Panic'
invoke '{"do":"answer","with":7}' 0 '7'
stop_function

say "the watcher's own invoke endpoint answers a function error with HTTP 500"
start_function hello
status=$(curl -s -o "$root/target/cargo-lambda-curl.out" -w '%{http_code}' --max-time 60 -XPOST \
  "http://127.0.0.1:$port/2015-03-31/functions/_/invocations" -d '{"nom":1}')
[ "$status" = 500 ] || fail "expected 500, got $status"
grep -q '"errorType":"SerdeJsonError"' "$root/target/cargo-lambda-curl.out" || fail "no error body"
echo "ok: HTTP $status with $(cat "$root/target/cargo-lambda-curl.out")"
stop_function

say "stream_lines: a streamed response through the watcher's function URL, as curl shows it"
start_function stream_lines
curl -s -S -i --max-time 60 "http://127.0.0.1:$port/lambda-url/_/?count=3" \
  >"$root/target/cargo-lambda-stream.out" || fail "curl of the function URL failed"
python3 - "$root/target/cargo-lambda-stream.out" <<'PY'
import sys
head, _, body = open(sys.argv[1], "rb").read().decode().partition("\r\n\r\n")
lines = head.lower().split("\r\n")
assert lines[0].startswith("http/1.1 200"), lines[0]
assert "transfer-encoding: chunked" in lines, head
assert "content-type: text/plain; charset=utf-8" in lines, head
assert body == "1: 0 steps to 1\n2: 1 steps to 1\n3: 7 steps to 1\n", repr(body)
print("ok: 200, chunked, three lines")
PY
stop_function

echo
echo "cargo-lambda: 7 passed, 0 failed"
