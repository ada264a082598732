"""The dependency rule holds: import-linter's contracts in pyproject.toml are all kept
(webapp -> kg, inside kg the CLI -> services -> store -> leaves, no import cycles)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def test_import_contracts_are_kept():
    """Run `lint-imports` on the checkout; a broken contract fails with its report."""
    proc = subprocess.run([sys.executable, "-c", LINT, "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout, proc.stdout
