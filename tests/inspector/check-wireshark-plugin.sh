#!/bin/sh
# The install step the README names: build-aux/install-wireshark-plugin puts wpi.lua where
# tshark loads it, for a user whose HOME is a fresh folder (skipped without tshark).
set -eu
top=$1
command -v tshark >/dev/null || { echo "tshark is not installed"; exit 77; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_CONFIG_HOME="$home/.config"
"$top/build-aux/install-wireshark-plugin"
test -f "$home/.local/lib/wireshark/plugins/wpi.lua"
tshark -G plugins 2>/dev/null | grep -q "wpi.lua" || { echo "tshark did not load wpi.lua"; exit 1; }
tshark -G fields 2>/dev/null | grep -q "wpi.item.name" || { echo "no field wpi.item.name"; exit 1; }
echo "wpi.lua installed and loaded"
