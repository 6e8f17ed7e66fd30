"""The users app's group buckets, deployed by the driver with the real handler: ids reach the users
through lists, and a users stack that held its groups itself (the layout before the buckets) upgrades
as README "Upgrading" says: a plain deploy fails and harms nothing, the documented one moves every
group without a single FinSpace group call or membership change."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from finspace_constructs import FinSpacePermissionGroup, FinSpaceUser, FinSpaceUserProvider
from finspace_constructs.enums import ApplicationPermission, UserType
from finspace_constructs.users_app import FinSpaceUsersStack, bucket_of, group_construct_id, user_construct_id
from finspace_constructs.users_file import ResolvedGroup, ResolvedUser
from tests.conftest import ENVIRONMENT_ID
from tests.functional.stack_harness import STACK, StackHarness

GROUPS = ["analysts", "quants", "risk", "ops"]
MEMBERS = {"ada@example.com": ["analysts", "quants"], "bob@example.com": ["risk"], "cy@example.com": ["ops", "risk"],
           "dee@example.com": []}


def groups(**extra: Any) -> list[ResolvedGroup]:
    return [ResolvedGroup(ENVIRONMENT_ID, name, (ApplicationPermission.VIEW_AUDIT_DATA,), None, "destroy", **extra)
            for name in GROUPS]


def users() -> list[ResolvedUser]:
    return [ResolvedUser(ENVIRONMENT_ID, email, UserType.APP_USER, None, None, None, None, True, False, "destroy",
                         tuple(names)) for email, names in MEMBERS.items()]


def synthesized(out: Path, build: Any) -> Path:
    """The users stack's template file (its nested templates beside it), as the CDK CLI writes them."""
    app = cdk.App(outdir=str(out), context={"aws:cdk:enable-asset-metadata": True})
    build(app)
    return Path(app.synth().directory) / "FinSpaceUsers.template.json"


def before_the_buckets(app: cdk.App, retain: bool) -> None:
    """The users app as it was: groups in the parent, users in UsersNN given the group constructs."""
    stack = cdk.Stack(app, "FinSpaceUsers")
    provider = FinSpaceUserProvider.of(stack)
    policy = cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY
    declared = {g.name: FinSpacePermissionGroup(stack, group_construct_id(g), environment_id=g.environment_id,
                                                name=g.name, application_permissions=g.application_permissions,
                                                removal_policy=policy, provider=provider) for g in groups()}
    buckets: dict[int, list[ResolvedUser]] = defaultdict(list)
    for u in users():
        buckets[bucket_of(u.email)].append(u)
    for bucket, members in sorted(buckets.items()):
        nested = cdk.NestedStack(stack, f"Users{bucket:02d}")
        for u in members:
            FinSpaceUser(nested, user_construct_id(u), environment_id=u.environment_id, email_address=u.email,
                         type=u.type, permission_groups=[declared[n] for n in u.permission_groups], provider=provider)


def memberships(harness: StackHarness) -> dict[str, set[str]]:
    return {email: set(harness.groups_of(email)) for email in MEMBERS}


def test_a_users_stack_that_held_its_groups_upgrades_in_one_plain_deploy(tmp_path: Path) -> None:
    """The groups move from the parent to their buckets' nested stacks: each new resource finds its group held
    by the old one in the same tree (a move, no AdoptExisting), and the old one's cleanup Delete leaves it."""
    old = synthesized(tmp_path / "old", lambda app: before_the_buckets(app, retain=False))
    plain = synthesized(tmp_path / "plain", lambda app: FinSpaceUsersStack(app, "FinSpaceUsers", users=users(),
                                                                           groups=groups()))
    harness = StackHarness(tmp_path)
    try:
        assert harness.driver.deploy(STACK, old, template_dir=old.parent).status == "CREATE_COMPLETE"
        ids = {g["name"]: g["permissionGroupId"] for g in harness.emulator.backend.call(
            "ListPermissionGroups", {"maxResults": 100}, environment_id=ENVIRONMENT_ID)["permissionGroups"]}
        joined = memberships(harness)
        calls = len(harness.mutating_calls())

        upgraded = harness.driver.deploy(STACK, plain, template_dir=plain.parent)
        after_upgrade = (memberships(harness), harness.mutating_calls()[calls:])
        groups_after = {g["name"]: g["permissionGroupId"] for g in harness.emulator.backend.call(
            "ListPermissionGroups", {"maxResults": 100}, environment_id=ENVIRONMENT_ID)["permissionGroups"]}
    finally:
        harness.close()

    assert joined == {email: {ids[n] for n in names} for email, names in MEMBERS.items()}
    assert upgraded.status == "UPDATE_COMPLETE", [e.reason for e in upgraded.events if e.status.endswith("FAILED")]
    assert after_upgrade == (joined, [])  # not one FinSpace write: no group made, deleted or joined again
    assert groups_after == ids
