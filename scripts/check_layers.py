#!/usr/bin/env python3
"""Fails on any #include that goes against the layering drawn in docs/design.md.

    apps/                      the executable: anything below
    src/pipelines/             joins readers, kernels and writers: anything but apps/
    io/                        readers and writers: src/core only (no rendering, no fitting)
    src/<capability>/          kernels (kinetics, tia, vessel): src/core, src/filters, themselves
    src/filters/, src/viz/     generic kernels: src/core, themselves
    src/core/                  the bottom: itself only

Kernels (src/ except core and pipelines) read and write no files: no file-format library
(yaml-cpp, HDF5, nifti_clib, DCMTK, libpng) and no <fstream>. io/ renders nothing (no cairo).
A folder under src/ that is not in the picture is an error too: draw it first.
usage: check_layers.py [SOURCE_DIR]     exit 1 and one line per violation when the picture is broken
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
KERNEL_CAPABILITIES = {"src/kinetics", "src/tia", "src/vessel"}
GENERIC_KERNELS = {"src/filters", "src/viz"}
ALLOWED = {
    "src/core": {"src/core"},
    "src/filters": {"src/core", "src/filters"},
    "src/viz": {"src/core", "src/viz"},
    "io": {"src/core", "io"},
    "src/pipelines": {"src/core", "src/filters", "src/viz", "io", "src/pipelines"} | KERNEL_CAPABILITIES,
    "apps": {"src/core", "src/filters", "src/viz", "io", "src/pipelines", "apps"} | KERNEL_CAPABILITIES,
}
for cap in KERNEL_CAPABILITIES:
    ALLOWED[cap] = {"src/core", "src/filters", cap}
FILE_LIBS = re.compile(r"^(yaml-cpp/|hdf5|H5|nifti|znzlib|dcmtk/|png\.h|fstream$)")
RENDER_LIBS = re.compile(r"^(cairo)")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def area(rel):
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) > 2:
        return "src/" + parts[1]
    return parts[0]


def main():
    errors = []
    for top in ("src", "io", "apps"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if not f.endswith((".hpp", ".cpp", ".ipp")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
                here = area(rel)
                if here not in ALLOWED:
                    errors.append(f"{rel}: folder {here}/ is not in the layering picture (scripts/check_layers.py, docs/design.md)")
                    continue
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for lineno, line in enumerate(fh, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        kind, name = m.groups()
                        if kind == '"':
                            if name.startswith("voxflow/"):
                                continue  # the generated version header
                            target = area(name)
                            if target not in ALLOWED:
                                errors.append(f"{rel}:{lineno}: includes {name}, outside the picture")
                            elif target not in ALLOWED[here]:
                                errors.append(f"{rel}:{lineno}: {here}/ may not include {name} ({target}/ is not below it)")
                        else:
                            is_kernel = here in KERNEL_CAPABILITIES or here in GENERIC_KERNELS or here == "src/core"
                            if is_kernel and FILE_LIBS.match(name):
                                errors.append(f"{rel}:{lineno}: kernels read and write no files, but {rel} includes <{name}>")
                            if here == "io" and RENDER_LIBS.match(name):
                                errors.append(f"{rel}:{lineno}: io/ renders nothing, but {rel} includes <{name}>")
    for e in errors:
        print(e)
    print(f"layering: {len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
