"""The include picture of docs/design.md holds (scripts/check_layers.py), and the check fails on a
tree that breaks it."""
import os
import subprocess
import sys

SRC = os.environ.get("VOXFLOW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(SRC, "scripts", "check_layers.py")


def run(root):
    return subprocess.run([sys.executable, SCRIPT, root], capture_output=True, text=True)


def test_the_source_tree_follows_the_picture():
    r = run(SRC)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "layering: 0 violation(s)" in r.stdout


def write(root, rel, text):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


def test_the_check_fails_on_includes_against_the_picture(tmp_path):
    root = str(tmp_path)
    write(root, "src/core/grid.hpp", '#include <array>\n')
    write(root, "src/core/bad.hpp", '#include "io/nifti_reader.hpp"\n')           # core -> io
    write(root, "io/png_writer.hpp", '#include "src/viz/image_rgba.hpp"\n')      # io -> viz
    write(root, "io/draw.cpp", '#include <cairo.h>\n')                           # io renders
    write(root, "src/tia/tia_config.cpp", '#include <yaml-cpp/yaml.h>\n')        # kernel reads files
    write(root, "src/kinetics/x.cpp", '#include "src/tia/tia_maps.hpp"\n')       # capability -> capability
    write(root, "src/filters/f.cpp", '#include "src/pipelines/run.hpp"\n')       # kernel -> pipelines
    write(root, "src/pipelines/p.cpp", '#include "apps/commands.hpp"\n')         # pipelines -> apps
    write(root, "src/newarea/n.cpp", '#include "src/core/grid.hpp"\n')           # not in the picture
    write(root, "apps/ok.cpp", '#include "src/pipelines/p.hpp"\n#include "voxflow/version.hpp"\n')
    r = run(root)
    assert r.returncode == 1
    lines = [l for l in r.stdout.splitlines() if not l.startswith("layering:")]
    assert len(lines) == 8, r.stdout
    for needle in ("src/core/bad.hpp", "io/png_writer.hpp", "io/draw.cpp", "src/tia/tia_config.cpp",
                   "src/kinetics/x.cpp", "src/filters/f.cpp", "src/pipelines/p.cpp", "src/newarea"):
        assert any(needle in l for l in lines), needle
    assert "layering: 8 violation(s)" in r.stdout
