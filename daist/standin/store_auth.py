"""Users, sessions (tokens) and web settings of ``StandinStore``."""
from __future__ import annotations

import secrets
import sqlite3
from typing import Any, Callable

from daist.standin.entities import User
from daist.standin.errors import BadRequest, NotFound, Unauthenticated
from daist.standin.passwords import client_hash

USER_COLUMNS = "id, username, display_name, admin, active, modified_at, last_auth_at"
# every authenticated request runs this one: built once, not per call
_TOKEN_USER_SQL = (f"SELECT {', '.join('u.' + c.strip() for c in USER_COLUMNS.split(','))}"
                   " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token = ?")


def _user(row: sqlite3.Row) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"] or "",
                admin=bool(row["admin"]), active=bool(row["active"]),
                modified_at=row["modified_at"], last_auth_at=row["last_auth_at"])


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
            raise NotFound(f"user {user_id} not found")
        return _user(row)

    def get_user_by_name(self, username: str) -> User:
        row = self.db.execute(f"SELECT {USER_COLUMNS} FROM users WHERE username = ?",
                              (username,)).fetchone()
        if row is None:
            raise NotFound(f"user {username!r} not found")
        return _user(row)

    def list_users(self) -> list[User]:
        """All users by id; the SDK's name/admin/active filters are not implemented."""
        rows = self.db.execute(f"SELECT {USER_COLUMNS} FROM users ORDER BY id").fetchall()
        return [_user(r) for r in rows]

    def set_password(self, user_id: int, *, password: str, is_hashed: bool = False) -> User:
        self.get_user(user_id)
        stored = password if is_hashed else client_hash(password)
        self.db.execute("UPDATE users SET password_hash = ?, modified_at = ? WHERE id = ?",
                        (stored, self.now(), user_id))
        return self.get_user(user_id)

    def patch_user(self, user_id: int, patch: dict[str, Any]) -> User:
        """Only ``displayName``, ``active``, ``admin`` and ``password`` (+``isHashed``) apply."""
        user = self.get_user(user_id)
        if "password" in patch and patch["password"] is not None:
            self.set_password(user_id, password=str(patch["password"]),
                              is_hashed=bool(patch.get("isHashed")))
        self.db.execute(
            "UPDATE users SET display_name = ?, active = ?, admin = ?, modified_at = ? WHERE id = ?",
            (patch.get("displayName") or user.display_name,
             int(patch.get("active", user.active)), int(patch.get("admin", user.admin)),
             self.now(), user_id))
        return self.get_user(user_id)

    # -- sessions ----------------------------------------------------------------------------
    def login(self, *, username: str, password: str, is_hashed: bool) -> tuple[str, User]:
        row = self.db.execute("SELECT id, password_hash, active FROM users WHERE username = ?",
                              (username,)).fetchone()
        sent = password if is_hashed else client_hash(password)
        if row is None or not row["active"] or not secrets.compare_digest(sent, row["password_hash"]):
            raise Unauthenticated("invalid credentials")
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
        if row is None or not row["active"]:
            raise Unauthenticated("invalid credentials")
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
