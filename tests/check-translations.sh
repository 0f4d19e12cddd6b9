#!/usr/bin/env bash
# check-translations.sh SOURCE_ROOT GETTEXT_PACKAGE
# 1. Every source file with translatable strings is listed in po/POTFILES.in.
# 2. Every language in po/LINGUAS passes `msgfmt --check` and, merged with a template
#    extracted from the current sources, has no untranslated or fuzzy message.
set -euo pipefail
src=$1
domain=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wpc-po.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$src"
status=0

listed() { grep -v '^#' po/POTFILES.in | grep -qxF "$1"; }

while IFS= read -r -d '' file; do
  file=${file#./}
  case "$file" in
    *.c) grep -qE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|g_dngettext)[[:space:]]*\(' "$file" || continue ;;
    *.ui) grep -q 'translatable="yes"' "$file" || continue ;;
  esac
  if ! listed "$file"; then
    echo "not ok: $file has translatable strings but is missing from po/POTFILES.in"
    status=1
  fi
done < <(find ./app ./ui ./protocol ./data \( -name '*.c' -o -name '*.ui' -o -name '*.desktop.in' \
           -o -name '*.metainfo.xml.in' -o -name '*.gschema.xml' \) -print0 2>/dev/null)

grep -v '^#' po/POTFILES.in | grep -v '^$' | while read -r file; do
  [ -f "$file" ] || { echo "not ok: po/POTFILES.in lists $file, which does not exist"; exit 1; }
done || status=1

# The keywords and flags of meson's i18n "glib" preset.
xgettext --package-name="$domain" --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_set_error:4:c-format --flag=g_printerr:1:c-format \
  --files-from=<(grep -v '^#' po/POTFILES.in | grep -v '^$') \
  --output="$tmp/$domain.pot"

for lang in $(grep -v '^#' po/LINGUAS); do
  po="po/$lang.po"
  if ! msgfmt --check --output-file=/dev/null "$po"; then
    echo "not ok: $po fails msgfmt --check"
    status=1
    continue
  fi
  msgmerge --quiet --output-file="$tmp/$lang.po" "$po" "$tmp/$domain.pot"
  stats=$(LC_ALL=C msgfmt --check --statistics --output-file=/dev/null "$tmp/$lang.po" 2>&1)
  if grep -qE 'untranslated|fuzzy' <<<"$stats"; then
    echo "not ok: $po is incomplete against the current sources: $stats"
    LC_ALL=C msgattrib --only-fuzzy "$tmp/$lang.po" | grep -A1 "^msgid" | head -40 || true
    LC_ALL=C msgattrib --untranslated "$tmp/$lang.po" | grep -A1 '^msgid' | head -40 || true
    status=1
  else
    echo "ok: $po: $stats"
  fi
done

exit "$status"
