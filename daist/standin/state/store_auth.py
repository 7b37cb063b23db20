"""Users, sessions (tokens) and web settings of ``StandinStore``."""
from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any, Callable, Iterable

from daist.standin.state.entities import User
from daist.standin.common.errors import BadRequest, Forbidden, NotFound, Unauthenticated
from daist.standin.state.passwords import client_hash

USER_COLUMNS = ("id, username, display_name, admin, active, modified_at, last_auth_at,"
                " agent_user_group")
USER_FIELDS = ("username", "display_name", "admin", "active", "password_hash",
               "agent_user_group")
"""The columns ``update_user`` may write."""
# every authenticated request runs this one: built once, not per call
_TOKEN_USER_SQL = (f"SELECT {', '.join('u.' + c.strip() for c in USER_COLUMNS.split(','))}"
                   " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token = ?")


def _user(row: sqlite3.Row) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"] or "",
                admin=bool(row["admin"]), active=bool(row["active"]),
                modified_at=row["modified_at"], last_auth_at=row["last_auth_at"],
                agent_user_group=json.loads(row["agent_user_group"])
                if row["agent_user_group"] else None)


class AuthStore:
    db: sqlite3.Connection
    now: Callable[[], float]

    # -- users -------------------------------------------------------------------------------
    def add_user(self, *, username: str, password: str = "", admin: bool = False,
                 display_name: str = "") -> User:
        cur = self.db.execute(
            "INSERT INTO users (username, display_name, admin, active, password_hash, modified_at)"
            " VALUES (?, ?, ?, 1, ?, ?)",
            (username, display_name, int(admin), client_hash(password), self.now()))
        return self.get_user(cur.lastrowid)

    def get_user(self, user_id: int) -> User:
        row = self.db.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None:
            raise NotFound("user not found")  # the master names no id
        return _user(row)

    def get_user_by_name(self, username: str) -> User:
        row = self.db.execute(f"SELECT {USER_COLUMNS} FROM users WHERE username = ?",
                              (username,)).fetchone()
        if row is None:
            raise NotFound("user not found")
        return _user(row)

    def empty_password_users(self) -> list[str]:
        """Names of the active accounts anyone can log in to, by id."""
        return [row[0] for row in self.db.execute(
            "SELECT username FROM users WHERE password_hash = '' AND active ORDER BY id")]

    def list_users(self) -> list[User]:
        rows = self.db.execute(f"SELECT {USER_COLUMNS} FROM users ORDER BY id").fetchall()
        return [_user(r) for r in rows]

    def create_user(self, *, username: str, password_hash: str, admin: bool, active: bool,
                    display_name: str, agent_user_group: dict[str, Any] | None) -> User:
        """A new user; ``password_hash`` is what a client-hashed login will carry."""
        try:
            cur = self.db.execute(
                "INSERT INTO users (username, display_name, admin, active, password_hash,"
                " modified_at, agent_user_group) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (username, display_name, int(admin), int(active), password_hash, self.now(),
                 json.dumps(agent_user_group) if agent_user_group else None))
        except sqlite3.IntegrityError:
            raise BadRequest("user already exists") from None
        return self.get_user(cur.lastrowid)

    def update_user(self, user_id: int, changes: dict[str, Any]) -> User:
        """Write the ``USER_FIELDS`` in ``changes`` (already authorized and validated)."""
        self.get_user(user_id)
        unknown = set(changes) - set(USER_FIELDS)
        if unknown:
            raise ValueError(f"not user columns: {sorted(unknown)}")
        values = dict(changes)
        if "agent_user_group" in values:
            values["agent_user_group"] = (json.dumps(values["agent_user_group"])
                                          if values["agent_user_group"] else None)
        assignments = ", ".join(f"{column} = ?" for column in values)
        try:
            self.db.execute(f"UPDATE users SET {assignments}, modified_at = ? WHERE id = ?",
                            (*values.values(), self.now(), user_id))
        except sqlite3.IntegrityError:
            raise BadRequest("user already exists") from None
        return self.get_user(user_id)

    def name_taken(self, name: str, *, other_than: int) -> bool:
        """Whether another user has ``name`` as username or display name (any case)."""
        row = self.db.execute(
            "SELECT 1 FROM users WHERE id != ? AND (LOWER(username) = ? OR"
            " LOWER(display_name) = ?)", (other_than, name.lower(), name.lower())).fetchone()
        return row is not None

    def set_active(self, user_ids: Iterable[int], active: bool) -> None:
        self.db.executemany("UPDATE users SET active = ?, modified_at = ? WHERE id = ?",
                            [(int(active), self.now(), uid) for uid in user_ids])

    def set_password(self, user_id: int, *, password: str, is_hashed: bool = False) -> User:
        stored = password if is_hashed else client_hash(password)
        return self.update_user(user_id, {"password_hash": stored})

    def lock_users_except(self, usernames: Iterable[str]) -> None:
        """Give every other user a random password nobody knows (a run's password was set,
        so no account stays open with the empty one)."""
        keep = set(usernames)
        rows = self.db.execute("SELECT id, username FROM users").fetchall()
        self.db.executemany(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            [(client_hash(secrets.token_urlsafe(24)), r["id"]) for r in rows
             if r["username"] not in keep])

    # -- sessions ----------------------------------------------------------------------------
    def login(self, *, username: str, password: str, is_hashed: bool) -> tuple[str, User]:
        row = self.db.execute("SELECT id, password_hash, active FROM users WHERE username = ?",
                              (username,)).fetchone()
        sent = password if is_hashed else client_hash(password)
        if row is None or not secrets.compare_digest(sent, row["password_hash"]):
            raise Unauthenticated("invalid credentials")
        if not row["active"]:  # told only to whoever knows the password, as the master does
            raise Forbidden("user is not active")
        token = secrets.token_urlsafe(32)
        now = self.now()
        self.db.execute("INSERT INTO tokens VALUES (?, ?, 'user', NULL, ?)", (token, row["id"], now))
        self.db.execute("UPDATE users SET last_auth_at = ? WHERE id = ?", (now, row["id"]))
        return token, self.get_user(row["id"])

    def add_task_token(self, *, user_id: int, allocation_id: str) -> str:
        token = secrets.token_urlsafe(32)
        self.db.execute("INSERT INTO tokens VALUES (?, ?, 'task', ?, ?)",
                        (token, user_id, allocation_id, self.now()))
        return token

    def user_for_token(self, token: str) -> User:
        row = self.db.execute(_TOKEN_USER_SQL, (token,)).fetchone()
        if row is None:
            raise Unauthenticated("invalid credentials")
        if not row["active"]:  # a deactivated user's tokens stay, refused (grpcutil.GetUser)
            raise Forbidden("user does not have permission")
        return _user(row)

    def logout(self, token: str) -> None:
        self.db.execute("DELETE FROM tokens WHERE token = ?", (token,))

    def expire_user_tokens(self) -> int:
        return self.db.execute("DELETE FROM tokens WHERE kind = 'user'").rowcount

    def drop_task_tokens(self, allocation_id: str) -> None:
        self.db.execute("DELETE FROM tokens WHERE kind = 'task' AND allocation_id = ?",
                        (allocation_id,))

    # -- web settings ------------------------------------------------------------------------
    def get_settings(self, user_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT key, value, storage_path FROM user_settings WHERE user_id = ? ORDER BY key",
            (user_id,)).fetchall()
        return [{"key": r["key"], "value": r["value"], "storagePath": r["storage_path"]}
                for r in rows]

    def post_settings(self, user_id: int, settings: list[dict[str, Any]]) -> None:
        for item in settings:
            if not isinstance(item, dict) or not item.get("key"):
                raise BadRequest("every setting needs a key")
            self.db.execute(
                "INSERT OR REPLACE INTO user_settings VALUES (?, ?, ?, ?)",
                (user_id, item["key"], item.get("storagePath") or "", item.get("value")))

    def reset_settings(self, user_id: int) -> None:
        self.db.execute("DELETE FROM user_settings WHERE user_id = ?", (user_id,))
