"""The built wheel works on its own: installed into a fresh venv, it runs demo, validate, serve.

The wheel is built from a copy of the checkout (so the checkout gets no `build/` folder or
egg-info, whose stale files a later build would pick up) and installed with `--no-deps`
into a fresh venv. Its dependencies come from this interpreter's site-packages, added to
the venv as plain path entries: `--system-site-packages` would also run this checkout's
editable-install hook (a `.pth` file there) and would miss the packages when pytest itself
runs in a venv. Every command runs from a folder outside the repository, so nothing of the
checkout can stand in for what the wheel lacks (kg.resources falls back to the checkout).

The build uses this interpreter's setuptools (`--no-build-isolation`, no network) when it
satisfies pyproject's build requirements, else pip fetches them from PyPI.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import site
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
#: what a checkout holds that is not source (kept out of the copy the wheel is built from)
_NOT_SOURCE = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", "output", ".venv", "venv")
#: the Turtle kept at the top of the repository, and where the wheel carries it
TOPLEVEL = {"ontology/meshkg.ttl", "shapes/meshkg-shapes.ttl", "rules/builtin.ttl"}


def _can_build_here() -> bool:
    """True when this interpreter's packages satisfy the build requirements."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    for req in map(Requirement, requires["build-system"]["requires"]):
        try:
            if importlib.metadata.version(req.name) not in req.specifier:
                return False
        except importlib.metadata.PackageNotFoundError:
            return False
    # setuptools before 70.1 builds wheels through the separate `wheel` package
    if Version(importlib.metadata.version("setuptools")) >= Version("70.1"):
        return True
    try:
        importlib.metadata.version("wheel")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _env() -> dict[str, str]:
    """The environment without anything that could point the venv back at the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHKG_")
           and k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(cmd: list, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, cmd))} exited {done.returncode}\n"
                                  f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}")
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", source]
    if _can_build_here():
        cmd.insert(4, "--no-build-isolation")
    _run(cmd, cwd=tmp)
    (built,) = (tmp / "dist").glob("meshkg-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (dependencies from this interpreter's)."""
    tmp = tmp_path_factory.mktemp("venv")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp)
    python = venv / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                   cwd=tmp).stdout.strip()
    ours = [*site.getsitepackages(),
            *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    Path(purelib, "meshkg-test-dependencies.pth").write_text(
        "".join(f"{p}\n" for p in ours if Path(p).is_dir()), "utf-8")
    _run([python, "-m", "pip", "install", "--no-deps", "-q", wheel], cwd=tmp)
    return venv


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A working folder outside the repository."""
    folder = tmp_path_factory.mktemp("outside")
    assert ROOT not in folder.resolve().parents
    return folder


@pytest.fixture(scope="module")
def demo_store(venv, outside) -> Path:
    """A store under tmp with the demo mesh, loaded by the installed `meshkg demo`."""
    store = outside / "store"
    done = _run([venv / "bin" / "meshkg", "--store", store, "demo"], cwd=outside)
    assert "demo mesh loaded" in done.stdout + done.stderr
    return store


def test_wheel_carries_the_toplevel_turtle_and_no_bench(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"kg/_toplevel/{name}" for name in TOPLEVEL} <= names
    assert {"kg/resources.py", "webapp/templates/index.html", "webapp/static/meshkg.css"} <= names
    tops = {name.split("/")[0] for name in names}
    assert tops == {"kg", "webapp", wheel.name.split("-py")[0] + ".dist-info"}


def test_installed_package_runs_from_the_venv_not_the_checkout(venv, outside):
    done = _run([venv / "bin" / "python", "-c",
                 "import kg, webapp, kg.resources as r; print(kg.__file__); "
                 "print(webapp.__file__); print(r.ontology_file()); print(r.shapes_file()); "
                 "print(r.rules_file())"], cwd=outside)
    paths = [Path(line).resolve() for line in done.stdout.splitlines()]
    assert len(paths) == 5
    for path in paths:
        assert venv.resolve() in path.parents, path
        assert path.is_file(), path
    packaged = paths[0].parent / "_toplevel"
    assert {p.relative_to(packaged).as_posix() for p in paths[2:]} == TOPLEVEL


def test_installed_demo_then_validate_exit_0(venv, outside, demo_store):
    done = _run([venv / "bin" / "meshkg", "--store", demo_store, "validate"], cwd=outside)
    assert "Conforms" in done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_installed_serve_answers_the_home_page(venv, outside, demo_store):
    port = _free_port()
    log = outside / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(venv / "bin" / "meshkg"), "--store", str(demo_store), "serve",
             "--port", str(port)], cwd=outside, env=_env(), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"meshkg serve exited:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    status, page = resp.status, resp.read().decode("utf-8")
                break
            except urllib.error.HTTPError as exc:
                pytest.fail(f"GET / answered {exc.code}:\n{log.read_text()}")
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"no answer in 60 s:\n{log.read_text()}"
                time.sleep(0.25)
        assert status == 200
        assert "Find data by what it means" in page
        assert "data products pass validation" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/meshkg.css",
                                    timeout=5) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()  # serve ends on SIGTERM as on Ctrl+C, closing store and workers
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, log.read_text()
