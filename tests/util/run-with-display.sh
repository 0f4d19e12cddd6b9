#!/usr/bin/env bash
# Runs a command on a private Xvfb display with a private D-Bus session bus:
#   tests/run-with-display.sh COMMAND [ARGS...]
# Xvfb and dbus-daemon each report on a pipe once they accept clients (-displayfd,
# --print-address), so nothing here waits for a fixed time. Their output (and that of
# the services the bus starts, such as the AT-SPI registry) goes to log files, not into
# the command's TAP output.
set -euo pipefail

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wpc-display.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "run-with-display: $1" >&2
  cat "$2" >&2
  exit 1
}

mkfifo "$tmp/display" "$tmp/bus"

Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset \
  3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
display=
read -r -t 30 display <"$tmp/display" || true
[ -n "$display" ] || fail "Xvfb did not start" "$tmp/xvfb.log"
export DISPLAY=":$display"

dbus-daemon --session --nofork --nopidfile --print-address=4 \
  4>"$tmp/bus" >"$tmp/dbus.log" 2>&1 &
pids+=($!)
address=
read -r -t 30 address <"$tmp/bus" || true
[ -n "$address" ] || fail "dbus-daemon did not start" "$tmp/dbus.log"
export DBUS_SESSION_BUS_ADDRESS="$address"

export GDK_BACKEND=x11
# Software GL under Xvfb is slow and adds nothing to what the tests check.
export GSK_RENDERER="${GSK_RENDERER:-cairo}"

status=0
"$@" || status=$?
exit "$status"
