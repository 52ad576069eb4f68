"""Admin UI accounts: ``users.json`` in the state directory (never in ``targets/``), mode 0600.

Each user has a role and a bcrypt hash of the password::

    {"users": {"alice": {"role": "admin", "password_hash": "$2b$12$..."}}}

Roles: ``viewer`` reads every page, ``editor`` also changes targets, ``admin`` also changes the
settings (calendar). ``kpi-targets users`` manages the file; the admin app reads it on every login
and request (it is small), so a removed user or a new password takes effect at once.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from exporter.targets.atomic import WriterLock, atomic_write

USERS_FILE = "users.json"
_LOCK_FILE = ".users.lock"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further
DEFAULT_ROUNDS = 12
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class Role(enum.IntEnum):
    VIEWER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def word(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise UserError(f"unknown role {text!r}: use viewer, editor or admin") from None


class UserError(ValueError):
    """A refused account change; the message says why."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    password_hash: str

    @property
    def session_id(self) -> str:
        """Changes with the password, so a new password ends the old sessions."""
        return f"{self.name}:{self.password_hash[-12:]}"


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise UserError(f"the password must be at most {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)")


def hash_password(password: str, *, rounds: int = DEFAULT_ROUNDS) -> str:
    check_password_rules(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


# Compared against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"not a password", bcrypt.gensalt(DEFAULT_ROUNDS))


class UserFile:
    """The accounts of one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / USERS_FILE

    def users(self) -> dict[str, User]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            raw = json.loads(text)["users"]
            return {
                name: User(name, Role.parse(entry["role"]), entry["password_hash"])
                for name, entry in raw.items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise UserError(f"{self.path} is not a valid users file ({error})") from None

    def get(self, name: str) -> User | None:
        return self.users().get(name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is right, else None (in about the same time either way)."""
        user = self.get(name)
        candidate = password.encode("utf-8")
        if len(candidate) > MAX_PASSWORD_BYTES:
            return None
        stored = user.password_hash.encode("ascii") if user is not None else _DUMMY_HASH
        try:
            matches = bcrypt.checkpw(candidate, stored)
        except ValueError:
            return None
        return user if matches and user is not None else None

    def add(self, name: str, role: Role, password: str, *, rounds: int = DEFAULT_ROUNDS) -> None:
        if _NAME.fullmatch(name) is None:
            raise UserError(
                f"bad user name {name!r}: letters, digits, '.', '_', '@', '-', at most 64"
            )
        password_hash = hash_password(password, rounds=rounds)
        with self._locked() as users:
            if name in users:
                raise UserError(f"user {name!r} exists already: use `kpi-targets users passwd`")
            users[name] = User(name, role, password_hash)

    def remove(self, name: str) -> None:
        with self._locked() as users:
            if users.pop(name, None) is None:
                raise UserError(f"no user {name!r}")

    def set_password(self, name: str, password: str, *, rounds: int = DEFAULT_ROUNDS) -> None:
        password_hash = hash_password(password, rounds=rounds)
        with self._locked() as users:
            user = users.get(name)
            if user is None:
                raise UserError(f"no user {name!r}")
            users[name] = User(name, user.role, password_hash)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, User]]:
        """Read, change and write the file under a lock; an exception writes nothing."""
        ensure_private_dir(self.state_dir)
        with WriterLock(self.state_dir / _LOCK_FILE).hold():
            users = self.users()
            yield users
            self.write(users)

    def write(self, users: dict[str, User]) -> None:
        ensure_private_dir(self.state_dir)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        document = {
            "users": {
                name: {"role": user.role.word, "password_hash": user.password_hash}
                for name, user in sorted(users.items())
            }
        }
        atomic_write(self.path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))


def ensure_private_dir(directory: Path) -> None:
    """Create the state directory readable by its owner only (it holds secrets)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)


SECRET_KEY_FILE = "secret_key"


def load_or_create_secret_key(state_dir: Path) -> str:
    """The session signing key, created on first start (mode 0600) so sessions survive restarts."""
    ensure_private_dir(state_dir)
    path = state_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    key = os.urandom(32).hex()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    os.chmod(path, 0o600)
    return key
