"""``finspace-users import`` without FinSpace: who the provider's own user is, and where the file names it."""

from __future__ import annotations

from pathlib import Path

from finspace_constructs.users_file import load_declaration
from finspace_users.importer import ImportFilter, environment_document, provider_recogniser, render
from finspace_users.reader import EnvironmentSnapshot, UserRecord

ROLE = "arn:aws:iam::123456789012:role/FinSpaceUserProvider-eu-west-1"


def robot(email: str, principal: str = ROLE, status: str = "ENABLED") -> UserRecord:
    return UserRecord(f"id-{email.split('@')[0]}", email, "SUPER_USER", status, api_access="ENABLED",
                      api_access_principal_arn=principal)


ADA = UserRecord("id-ada", "ada@example.com", "SUPER_USER", "ENABLED")


def test_the_provider_s_user_is_told_by_its_role_s_name_or_the_given_arn() -> None:
    by_name = provider_recogniser()
    by_arn = provider_recogniser("arn:aws:sts::123456789012:assumed-role/team-provider/session")

    assert by_name(robot("r@example.com"))
    assert by_name(robot("r@example.com", "arn:aws:iam::123456789012:role/path/FinSpaceUserProvider-us-east-1"))
    assert not by_name(robot("r@example.com", "arn:aws:iam::123456789012:role/FinSpaceUserProviderTeamB-x"))
    assert not by_name(ADA)
    assert by_arn(robot("t@example.com", "arn:aws:iam::123456789012:role/team-provider"))
    assert not by_arn(robot("r@example.com"))  # with an ARN, only that role's user


def test_left_out_and_named_unless_included_and_never_an_administrator_s_fate() -> None:
    snapshot = EnvironmentSnapshot("env1", (ADA, robot("old@example.com", status="DISABLED"),
                                            robot("r@example.com")), ())
    def everyone_an_admin(*, administrators: bool = False, provider: bool = False) -> ImportFilter:
        return ImportFilter(include_administrators=administrators, is_administrator=lambda _user: True,
                            include_provider=provider, is_provider=provider_recogniser())

    named = environment_document(snapshot, everyone_an_admin(administrators=True))
    kept = environment_document(snapshot, everyone_an_admin(provider=True))

    assert named["provider_user"] == "r@example.com"  # the enabled one
    assert [u["email"] for u in named["users"]] == ["ada@example.com"]
    assert "provider_user" not in kept
    assert [u["email"] for u in kept["users"]] == ["old@example.com", "r@example.com"]  # administrators left out


def test_one_provider_user_goes_to_the_top_several_to_their_environments(tmp_path: Path) -> None:
    def document(environment_id: str, provider: str | None) -> dict[str, object]:
        users = [{"email": "robot@example.com", "type": "SUPER_USER", "adopt_existing": True}]  # no principal there
        return {"id": environment_id, **({"provider_user": provider} if provider else {}),
                "permission_groups": [], "users": users if environment_id == "c" else []}

    shared = tmp_path / "shared.yaml"
    shared.write_text(render([document("a", "robot@example.com"), document("b", "robot@example.com")]))
    apart = tmp_path / "apart.yaml"
    apart.write_text(render([document("a", "robot@example.com"), document("b", "other@example.com"),
                             document("c", None)]))

    assert "\nprovider_user: robot@example.com\nenvironments:\n" in shared.read_text()
    assert load_declaration(shared).provider_users == {"a": "robot@example.com", "b": "robot@example.com"}
    # environment c has no provider user of its own: its robot@ is an ordinary user, and loads as one
    assert load_declaration(apart).provider_users == {"a": "robot@example.com", "b": "other@example.com"}
