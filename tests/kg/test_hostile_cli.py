"""The command line on hostile literals (issue "Nothing acknowledged is lost…", findings 7
and 10): refusals name the file and line with exit code 2, and no traceback reaches a user."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kg.store.oxigraph import OxigraphStore

BIG = "1" + "0" * 5000


def meshkg(store: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the meshkg command line against one store."""
    env = dict(os.environ, MESHKG_STORE=str(store))
    return subprocess.run([sys.executable, "-m", "kg.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_load_of_an_integer_past_64_bits_exits_2_naming_file_and_line(tmp_path):
    path = tmp_path / "big.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\nex:s ex:p 1 .\n"
                    f"ex:s ex:q {BIG} .\n")
    proc = meshkg(tmp_path / "store", "load", str(path))
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:3" in proc.stderr and "64-bit" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr) < 1000


def test_load_of_a_nul_past_the_first_4_kib_exits_2_naming_its_line(tmp_path):
    path = tmp_path / "late-nul.nt"
    body = "".join(f'<http://example.org/s{i}> <http://example.org/p> "v" .\n'
                   for i in range(200))
    path.write_bytes(body.encode() + b'<http://example.org/x> <http://example.org/p> "a\x00" .\n')
    proc = meshkg(tmp_path / "store", "load", str(path))
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:201" in proc.stderr and "NUL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_query_of_a_huge_integer_in_the_store_prints_no_traceback(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.update("INSERT DATA { GRAPH <urn:meshkg:test:g> { <http://example.org/s> "
                 f"<http://example.org/q> {BIG} }} }}")
    store.close()
    proc = meshkg(tmp_path / "store", "query", "--format", "json",
                  "SELECT ?o WHERE { ?s <http://example.org/q> ?o }")
    assert proc.returncode == 0, proc.stderr
    assert BIG in proc.stdout and "Traceback" not in proc.stderr
