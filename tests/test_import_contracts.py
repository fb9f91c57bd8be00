"""DESIGN.md's import direction, as import-linter contracts (pyproject.toml, [tool.importlinter]).

The installed package maps the repository's folders under `paperwire` through an import
hook, which a static import graph cannot follow; the test lays the folders out as one
`paperwire` package of symlinks and lets `lint-imports` read that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
FOLDERS = ("bot", "handlers", "formatters", "config")


def test_import_contracts_hold(tmp_path: Path) -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint_imports is None:
        pytest.fail("lint-imports is missing: install the test extra (pip install -e '.[test]')")
    package = tmp_path / "layout" / "paperwire"
    package.mkdir(parents=True)
    shutil.copy(REPOSITORY / "paperwire" / "__init__.py", package / "__init__.py")
    for folder in FOLDERS:
        (package / folder).symlink_to(REPOSITORY / folder, target_is_directory=True)
    environment = {**os.environ, "PYTHONPATH": str(tmp_path / "layout")}
    result = subprocess.run(
        [lint_imports, "--config", str(REPOSITORY / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
