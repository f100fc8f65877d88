"""The explain package's public entry points and its light import."""

from __future__ import annotations

import subprocess
import sys

import classifier.explain as explain


def test_entry_points_for_the_cli_are_exposed():
    """The CLI calls these four names; renaming one must fail here first."""
    needed = {"render_text", "render_json", "what_would_change", "render_what_would_change"}
    assert set(explain.__all__) >= needed
    for name in explain.__all__:
        assert callable(getattr(explain, name))


def test_importing_the_package_loads_no_renderer():
    """`import classifier.explain` defers its submodules, so tools that only need one stay cheap."""
    code = (
        "import sys, classifier.explain; "
        "print(sorted(m for m in sys.modules if m.startswith('classifier.explain.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
