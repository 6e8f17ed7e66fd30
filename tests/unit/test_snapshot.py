"""``EnvironmentSnapshot``'s look-ups, indexed once: the answers a scan of the records gives."""

from __future__ import annotations

from finspace_users.reader import EnvironmentSnapshot, GroupRecord, UserRecord
from lambda_handler.memberships import ADDED, ADDING, REMOVING


def snapshot() -> EnvironmentSnapshot:
    users = (UserRecord("u1", "Ada@Example.COM", "SUPER_USER", "ENABLED"),
             UserRecord("u2", "bob@example.com", "APP_USER", "DISABLED"),
             UserRecord("u3", " ada@example.com ", "APP_USER", "ENABLED"))  # a second record: the first wins
    groups = (GroupRecord("g1", "quants", None, ("ViewAuditData",), {"u1": ADDED, "u2": REMOVING}),
              GroupRecord("g2", "analysts", "Research", ("AccessNotebooks",), {"u1": ADDING}),
              GroupRecord("g3", "analysts", None, (), {}))
    return EnvironmentSnapshot("env", users, groups)


def test_lookups_by_email_are_case_insensitive_and_ignore_surrounding_blanks() -> None:
    held = snapshot()

    for email in ("ada@example.com", " ADA@example.com", "Ada@Example.COM"):
        assert held.user_by_email(email) is held.users[0]
    assert held.user_by_email("BOB@EXAMPLE.COM") is held.users[1]
    assert held.user_by_email("eve@example.com") is None


def test_lookups_by_id_and_name_find_the_first_record() -> None:
    held = snapshot()

    assert held.user_by_id("u3") is held.users[2]
    assert held.user_by_id("u9") is None
    assert held.group_by_name("analysts") is held.groups[1]
    assert held.group_by_id("g3") is held.groups[2]
    assert (held.group_by_name("nobody"), held.group_by_id("g9")) == (None, None)


def test_memberships_keep_every_status_and_group_names_only_joined_ones() -> None:
    held = snapshot()

    assert held.memberships("u1") == {"g1": ADDED, "g2": ADDING}
    assert held.memberships("u2") == {"g1": REMOVING}
    assert held.memberships("u3") == {}
    assert held.group_names_of("u1") == ("analysts", "quants")
    assert held.group_names_of("u2") == held.group_names_of("u3") == ()
    held.memberships("u1").clear()  # a caller's copy: the snapshot keeps its own
    assert held.memberships("u1") == {"g1": ADDED, "g2": ADDING}
