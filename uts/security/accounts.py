"""A stand-in with an admin password and non-admin users the admin created, for the tests
of what a non-admin may do."""
from __future__ import annotations

from determined.experimental import client

from uts.standin.support import MasterTestCase, quiet

ADMIN_PW = "Adm1n-pw"


class UsersTestCase(MasterTestCase):
    """``users`` maps each non-admin's name to its password; ``user_ids`` their ids."""

    master_options = {"scale": 10, "passwords": (("admin", ADMIN_PW),)}
    users: dict[str, str] = {}
    user_ids: dict[str, int]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        with quiet():
            admin = client.Determined(cls.url, "admin", ADMIN_PW)
        cls.user_ids = {name: admin.create_user(name, admin=False, password=password).user_id
                        for name, password in cls.users.items()}
