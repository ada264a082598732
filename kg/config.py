"""Settings: defaults, then a TOML file, then MESHKG_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import UsageError

#: the SHACL engines for core constraints: pyshacl-turbo (pyshacl where it is not
#: installed) and pyshacl
SHACL_ENGINES = ("turbo", "pyshacl")


def _default_store() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "meshkg" / "store")


@dataclass(frozen=True)
class Settings:
    """Everything meshkg can be configured with; passed explicitly, never global."""

    store: str = field(default_factory=_default_store)
    base_iri: str = "https://demo.meshkg.org/id/"
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 8
    query_timeout: float = 10.0
    query_memory_mb: int = 2048
    update_timeout: float = 30.0
    update_memory_mb: int = 2048
    client_queries: int = 2
    queue_wait: float = 2.0
    rule_timeout: float = 60.0
    rule_memory_mb: int = 2048
    max_rows: int = 10000
    max_body: int = 10 * 1024 * 1024
    max_file: int = 512 * 1024 * 1024
    updates_enabled: bool = False
    steward_tokens: tuple[str, ...] = ()
    update_url: str | None = None
    gsp_url: str | None = None
    remote_user: str | None = None
    remote_password: str | None = None
    remote_auth: str = "basic"
    remote_token: str | None = None
    remote_timeout: float = 30.0
    remote_graph_ttl: float = 2.0
    shacl_engine: str = "turbo"
    #: "strict": every Violation refuses a write; "governance" (default): Violations of
    #: the standards' own rules and of the governance rules named in `refuse` refuse,
    #: other Violations are stored as findings (kg.validation.REFUSING)
    gate: str = "governance"
    #: governance shapes (local names in shapes/meshkg-shapes.ttl) whose Violations refuse
    #: a write under gate = "governance"; empty means the default list
    refuse: tuple[str, ...] = ()
    #: remote JSON-LD contexts mapped to local files, as "URL=PATH" (never fetched)
    jsonld_contexts: tuple[str, ...] = ()
    #: addresses of reverse proxies whose X-Forwarded-For names the client
    trusted_proxies: tuple[str, ...] = ()
    load_demo: bool = True
    secret_key: str | None = None
    accounts_file: str | None = None
    config_file: str | None = None

    def replace(self, **changes) -> Settings:
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(name: str, value, source: str):
    typ = _FIELDS[name].type
    try:
        if typ == "bool":
            if isinstance(value, bool):
                return value
            low = str(value).strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if typ == "int":
            return int(value)
        if typ == "float":
            return float(value)
        if typ.startswith("tuple"):
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(str(v) for v in value)
        if name == "shacl_engine" and value not in SHACL_ENGINES:
            raise ValueError(value)
        if name == "gate" and value not in ("strict", "governance"):
            raise ValueError(value)
        return None if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{source}: setting {name!r} has an invalid value {value!r}") from exc


def load_settings(config_file: str | os.PathLike | None = None,
                  env: dict[str, str] | None = None, **overrides) -> Settings:
    """Build settings from defaults, a config file, MESHKG_* variables and overrides."""
    env = dict(os.environ if env is None else env)
    values: dict = {}
    path = config_file or env.get("MESHKG_CONFIG")
    if path is None and Path("meshkg.toml").is_file():
        path = "meshkg.toml"
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise UsageError(f"config file not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: not valid TOML: {exc}") from exc
        section = data.get("meshkg", data)
        for key, value in section.items():
            if key not in _FIELDS:
                raise UsageError(f"{path}: unknown setting {key!r}")
            values[key] = _coerce(key, value, str(path))
        values["config_file"] = str(path)
    for key, value in env.items():
        if key.startswith("MESHKG_") and key != "MESHKG_CONFIG":
            name = key[len("MESHKG_"):].lower()
            if name in _FIELDS:
                values[name] = _coerce(name, value, key)
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
    return Settings(**values)
