#!/usr/bin/env python3
"""Check the shape of the tree (issue 8, doc/DESIGN.md). Output: TAP.

  check-layout.py SOURCE_ROOT WPI_SIM WPI_DECODE

1. Layers: a file in protocol/LAYER includes only headers of LAYER and of the layers below
   it (the build already refuses the others; this says which rule a file broke).
2. Programs: wpi-sim needs neither SQLite nor cairo, pango or GTK, and wpi-decode none of
   those nor libsoup, as direct dependencies (readelf NEEDED). ldd would also list what
   libsoup itself needs: libsoup 3 links SQLite for its cookie and HSTS stores.
3. Sizes: no source file outside tests/ over 1,500 lines, no function over 100 lines.
"""
import os
import re
import subprocess
import sys

ALLOWED = {
    "wire": {"wire"},
    "store": {"store", "wire"},
    "service": {"service", "store", "wire"},
    "inspector": {"inspector", "store", "wire"},
    "sim": {"sim", "wire"},
}
# Generated headers and the layer that makes them
GENERATED = {
    "wpi-wire-enums.h": "wire",
    "wpi-wire-resources.h": "wire",
    "wpi-store-enums.h": "store",
    "wpi-sim-enums.h": "sim",
}
FORBIDDEN_NEEDED = {
    "wpi-sim": ["libsqlite3", "libcairo", "libpango", "libgtk"],
    "wpi-decode": ["libsqlite3", "libcairo", "libpango", "libgtk", "libsoup"],
}
MAX_FILE_LINES = 1500
MAX_FUNCTION_LINES = 100

results = []


def check(ok, description, detail=None):
    results.append((ok, description, detail))


def header_layers(root):
    layers = dict(GENERATED)
    for layer in ALLOWED:
        for name in os.listdir(os.path.join(root, "protocol", layer)):
            if name.endswith(".h"):
                layers[name] = layer
    return layers


def check_layers(root):
    layers = header_layers(root)
    include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
    for layer, allowed in ALLOWED.items():
        folder = os.path.join(root, "protocol", layer)
        wrong = []
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                for header in include.findall(f.read()):
                    owner = layers.get(header)
                    if owner is not None and owner not in allowed:
                        wrong.append(f"{name} includes {header} ({owner})")
        check(not wrong, f"protocol/{layer} includes only {', '.join(sorted(allowed))}", wrong)


def check_needed(program):
    name = os.path.basename(program)
    out = subprocess.run(["readelf", "-d", program], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    bad = [lib for lib in needed if any(lib.startswith(f) for f in FORBIDDEN_NEEDED[name])]
    check(not bad and needed, f"{name} needs none of {', '.join(FORBIDDEN_NEEDED[name])}", bad or needed)


def functions(lines):
    """(name, first line, length) of each function: a '{' in column 0 after a signature."""
    i = 0
    while i < len(lines):
        if lines[i].startswith("{"):
            # the line before the brace: a function's parameter list ends there
            prev = lines[i - 1].rstrip() if i > 0 else ""
            j = i - 1
            while j > 0 and "(" not in lines[j]:
                j -= 1
            name = lines[j].split("(")[0].strip()
            is_function = prev.endswith(")")
            depth = 0
            for k in range(i, len(lines)):
                depth += lines[k].count("{") - lines[k].count("}")
                if depth == 0:
                    break
            # a struct, enum or array initialiser is not a function
            if is_function:
                yield name, j + 1, k - j + 1
            i = k
        i += 1


def check_sizes(root):
    long_files, long_functions = [], []
    for top in ("protocol", "ui", "app"):
        for folder, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as f:
                    lines = f.read().split("\n")
                if len(lines) > MAX_FILE_LINES:
                    long_files.append(f"{rel}: {len(lines)} lines")
                if name.endswith(".c"):
                    for fn, line, length in functions(lines):
                        if length > MAX_FUNCTION_LINES:
                            long_functions.append(f"{rel}:{line} {fn}: {length} lines")
    check(not long_files, f"no source file over {MAX_FILE_LINES} lines outside tests/", long_files)
    check(not long_functions, f"no function over {MAX_FUNCTION_LINES} lines outside tests/", long_functions)


def main():
    root, wpi_sim, wpi_decode = sys.argv[1:4]
    check_layers(root)
    check_needed(wpi_sim)
    check_needed(wpi_decode)
    check_sizes(root)
    print(f"1..{len(results)}")
    for n, (ok, description, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} {description}")
        if not ok:
            for line in detail or []:
                print(f"# {line}")
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
