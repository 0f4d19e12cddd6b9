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

# Starts a daemon that reports one line (its display, its bus address) on descriptor 3
# once it accepts clients, and stores that line in the variable named $1; fails with the
# daemon's log when none comes within 30 s.
start_daemon() {
  local var=$1 name=$2 line=
  shift 2
  mkfifo "$tmp/$name.fifo"
  "$@" 3>"$tmp/$name.fifo" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  read -r -t 30 line <"$tmp/$name.fifo" || true
  [ -n "$line" ] || fail "$name did not start" "$tmp/$name.log"
  printf -v "$var" '%s' "$line"
}

start_daemon display Xvfb Xvfb -displayfd 3 -screen 0 1920x1200x24 -nolisten tcp -noreset
export DISPLAY=":$display"

start_daemon address dbus-daemon dbus-daemon --session --nofork --nopidfile --print-address=3
export DBUS_SESSION_BUS_ADDRESS="$address"

export GDK_BACKEND=x11
# Software GL under Xvfb is slow and adds nothing to what the tests check.
export GSK_RENDERER="${GSK_RENDERER:-cairo}"

status=0
"$@" || status=$?
exit "$status"
