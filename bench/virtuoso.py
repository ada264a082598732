"""A Virtuoso instance of the benchmark's own: its ini, start, stop, memory.

The scale benchmark starts its own `virtuoso-t` under a scratch folder on ports
of its own (so that it never touches the servers tests run), with the limits a
store of 10M triples needs, which differ from `.ci/servers.sh` (a test server):

- `NumberOfBuffers` / `MaxDirtyBuffers`: 8 KB pages of cache; Virtuoso's own
  guidance is 340,000 / 250,000 for 4 GB of RAM given to it. The test ini has
  20,000 (160 MB), which makes a 10M-triple store read from disk all the time.
- `MaxQueryMem`: memory one query may use (200M in the test ini).
- `[SPARQL] ResultSetMaxRows`: raised from 5,000 so that meshkg's dumps of a
  domain graph (455,000 triples at 100,000 products) come back whole; meshkg
  still raises ResultTooLarge if a server cuts a result.
- `MaxQueryExecutionTime`: 0 (no limit); the benchmark gives each step a budget.
- `TransactionAfterImageLimit`: 1.5 GB instead of 50 MB. meshkg moves a staged graph
  into place with one `MOVE`; at 100,000 products a domain graph has 455,000 triples, and
  Virtuoso aborted that transaction ("log after image size went above the limit").
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 200000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {dir}{extra_dirs}
MaxQueryMem = {query_mem}
TransactionAfterImageLimit = 1500000000
VADInstallDir = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10
KeepAliveTimeout = 10
MaxKeepAlives = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
DefaultQuery = ASK {{}}
"""


#: servers this process started, by pid, so that stop() can reap them
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Virtuoso:
    """Where one benchmark Virtuoso lives and listens."""

    dir: Path
    sql_port: int = 1112
    http_port: int = 8891
    buffers: int = 340_000
    dirty: int = 250_000
    query_mem: str = "2G"
    max_rows: int = 2_000_000
    #: folders its bulk loader may read (the generated data)
    data_dirs: tuple[str, ...] = ()

    @property
    def query_url(self) -> str:
        """The SPARQL endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def gsp_url(self) -> str:
        """The Graph Store Protocol endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql-graph-crud"

    @property
    def store(self) -> str:
        """The MESHKG_STORE value for this server."""
        return "sparql+" + self.query_url

    @property
    def pid_file(self) -> Path:
        return self.dir / "virtuoso.pid"

    def ini(self) -> str:
        """Return the ini text."""
        return INI.format(dir=self.dir, sql_port=self.sql_port, http_port=self.http_port,
                          buffers=self.buffers, dirty=self.dirty, query_mem=self.query_mem,
                          max_rows=self.max_rows,
                          extra_dirs="".join(f", {d}" for d in self.data_dirs))

    def pid(self) -> int | None:
        """Return the pid of the running server this benchmark started, if any."""
        try:
            pid = int(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid

    def start(self, *, fresh: bool = True, wait: float = 300) -> int:
        """Start the server (on an empty database when `fresh`); return its pid."""
        if self.pid() is not None:
            raise RuntimeError(f"a benchmark Virtuoso already runs from {self.dir}")
        if fresh:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "virtuoso.ini").write_text(self.ini(), encoding="utf-8")
        log = (self.dir / "stdout.log").open("ab")
        proc = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(self.dir / "virtuoso.ini")],
            cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        _CHILDREN[proc.pid] = proc
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited ({proc.returncode}); see "
                                   f"{self.dir}/virtuoso.log")
            try:
                urllib.request.urlopen(self.query_url + "?query=ASK%7B%7D", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"Virtuoso did not answer {self.query_url} within {wait:.0f} s")
        # anonymous SPARQL Update and Graph Store writes, on loopback only (as .ci/servers.sh)
        subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba",
             'exec=GRANT SPARQL_UPDATE TO "SPARQL"; '
             "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7); checkpoint;"],
            check=True, capture_output=True, timeout=120)
        return proc.pid

    def stop(self) -> None:
        """Stop the server this benchmark started (by its recorded pid)."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        for _ in range(240):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.25)
        else:
            os.kill(pid, signal.SIGKILL)
        if pid in _CHILDREN:  # started by this process: reap it
            _CHILDREN.pop(pid).wait(timeout=60)
        self.pid_file.unlink(missing_ok=True)

    def checkpoint(self) -> None:
        """Write Virtuoso's dirty pages to disk (so a load is measured as durable)."""
        subprocess.run(["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba",
                        "exec=checkpoint;"], check=True, capture_output=True, timeout=3600)

    def memory_mb(self) -> dict[str, float] | None:
        """Return the server's resident memory now and its peak (VmRSS, VmHWM), in MB."""
        pid = self.pid()
        if pid is None:
            return None
        out = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1000
        return {"rss_mb": out.get("VmRSS", 0.0), "peak_mb": out.get("VmHWM", 0.0)}

    def disk_mb(self) -> float:
        """Return the size of the database files, in MB."""
        return sum(f.stat().st_size for f in self.dir.glob("virtuoso*.db")) / 1e6
