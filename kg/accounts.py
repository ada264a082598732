"""Steward accounts: a TOML or JSON file of names, roles and scrypt password hashes.

The file holds `[[account]]` tables (TOML) or an `{"account": [...]}` object
(JSON), each with `name`, `role` ("steward" or "admin") and `password` in the
form `scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`. It is rewritten atomically
(a temporary file in the same folder, then os.replace).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kg.errors import UsageError

ROLES = ("steward", "admin")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_N, _R, _P = 2 ** 14, 8, 1
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Account:
    """One account: its name, role and password hash."""

    name: str
    role: str
    password: str

    @property
    def is_admin(self) -> bool:
        """Tell whether the account may manage accounts."""
        return self.role == "admin"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Return the scrypt hash of a password, with its parameters and salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P,
                            dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Tell whether a password matches a stored hash (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, bytes.fromhex(digest))


_DUMMY = hash_password("not a password", salt=b"\0" * 16)


def load(path: str | os.PathLike | None) -> dict[str, Account]:
    """Read the accounts file (a missing file means no accounts)."""
    if path is None:
        return {}
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text) if p.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{p}: not a valid accounts file: {exc}") from exc
    out: dict[str, Account] = {}
    for i, entry in enumerate(data.get("account", [])):
        try:
            acc = Account(str(entry["name"]), str(entry["role"]), str(entry["password"]))
        except (KeyError, TypeError) as exc:
            raise UsageError(f"{p}: account {i + 1} lacks name, role or password") from exc
        if acc.role not in ROLES or not NAME.match(acc.name):
            raise UsageError(f"{p}: account {acc.name!r} has an invalid name or role")
        out[acc.name] = acc
    return out


def authenticate(path, name: str, password: str) -> Account | None:
    """Return the account when the name and password match, else None."""
    acc = load(path).get(name)
    ok = check_password(password, acc.password if acc else _DUMMY)  # same work either way
    return acc if acc is not None and ok else None


def save(path: str | os.PathLike, accounts: dict[str, Account]) -> None:
    """Rewrite the accounts file atomically."""
    p = Path(path)
    rows = [{"name": a.name, "role": a.role, "password": a.password}
            for a in sorted(accounts.values(), key=lambda a: a.name)]
    if p.suffix == ".json":
        text = json.dumps({"account": rows}, indent=2) + "\n"
    else:  # JSON strings are valid TOML basic strings
        text = "# meshkg steward accounts (passwords are scrypt hashes)\n" + "".join(
            "\n[[account]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in r.items())
            for r in rows)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".accounts-", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(path, name: str, password: str, role: str = "steward") -> Account:
    """Add or replace an account and rewrite the file."""
    if not NAME.match(name or ""):
        raise UsageError("an account name is 1 to 64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}")
    if len(password or "") < 8:
        raise UsageError("a password needs at least 8 characters")
    with _LOCK:
        accounts = load(path)
        accounts[name] = Account(name, role, hash_password(password))
        save(path, accounts)
        return accounts[name]


def remove(path, name: str) -> None:
    """Remove an account and rewrite the file; the last admin cannot be removed."""
    with _LOCK:
        accounts = load(path)
        if name not in accounts:
            from kg.errors import NotFound
            raise NotFound(f"no account {name!r}")
        if accounts[name].is_admin and sum(a.is_admin for a in accounts.values()) == 1:
            from kg.errors import Conflict
            raise Conflict("the last admin account cannot be removed")
        del accounts[name]
        save(path, accounts)
