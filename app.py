"""CDK app: the provider stack, and FinSpace users from a users file (GitOps) that use it.

Two stacks: FinSpaceUserProvider (the Lambda and its role FinSpaceUserProvider-<region>, deployed
first and kept) and FinSpaceUsers (users.yaml), which imports the provider's service token.
The first deployment is three steps (README: Bootstrap):

    cdk deploy FinSpaceUserProvider            # 1. the provider; prints its RoleArn output
    # 2. FinSpace web application, as a superuser: add a user with API access enabled, the RoleArn
    #    as IAM principal, type Superuser (or in a permission group with ManageUsersAndGroups)
    cdk deploy FinSpaceUsers                   # 3. the users (also every later change)

    cdk synth                                  # both stacks; users.yaml
    cdk synth -c usersFile=teams/quant.yaml -c stackName=QuantUsers
    cdk synth -c providerOnly=true             # the provider stack alone (plain CloudFormation users)
    cdk synth -c providerStackName=FinSpaceUserProviderTeamB  # another provider (its role is named after it)
    cdk synth -c reservedConcurrency=20 -c functionTimeoutSeconds=600 -c serviceTimeoutSeconds=3600

The provider takes reenable_requires_adopt from the users file (with providerOnly too, when the file
exists or usersFile is given).

Synthesis is offline and needs no AWS credentials.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# isort: off
from finspace_constructs.users_app import FinSpaceUserProviderStack, FinSpaceUsersStack
from finspace_constructs.provider_identity import PROVIDER_STACK_NAME, USERS_STACK_NAME, provider_role_prefix
from finspace_constructs.users_file import Declaration, UsersFileError, load_declaration
from finspace_users.errors import EXIT_ERROR
import aws_cdk as cdk

# isort: on

DEFAULT_USERS_FILE = "users.yaml"


def provider_options(app: cdk.App) -> dict[str, Any]:
    """The provider's sizing from context (README: Sizing); absent keys keep the defaults."""
    context = app.node.try_get_context
    options: dict[str, Any] = {}
    if context("reservedConcurrency") is not None:
        value = str(context("reservedConcurrency"))
        options["reserved_concurrency"] = None if value.lower() == "none" else int(value)
    if context("functionTimeoutSeconds") is not None:
        options["timeout"] = cdk.Duration.seconds(int(context("functionTimeoutSeconds")))
    if context("serviceTimeoutSeconds") is not None:
        options["service_timeout"] = cdk.Duration.seconds(int(context("serviceTimeoutSeconds")))
    return options


def allowed_stacks(app: cdk.App) -> list[str]:
    """More stacks that may use the provider (``allowedStacks``, comma-separated: plain CloudFormation
    templates, other apps); the users stack always may (README: Security)."""
    return [name.strip() for name in str(app.node.try_get_context("allowedStacks") or "").split(",") if name.strip()]


def users_file(app: cdk.App, provider_name: str, *, provider_only: bool) -> Declaration | None:
    """The users file (``usersFile``, default users.yaml); with ``providerOnly`` only when one is given
    or the default exists, since the provider takes its settings (``reenable_requires_adopt``) from it."""
    path = Path(str(app.node.try_get_context("usersFile") or DEFAULT_USERS_FILE))
    if provider_only and app.node.try_get_context("usersFile") is None and not path.exists():
        return None
    return load_declaration(path, provider_role_prefix=provider_role_prefix(provider_name))


def build(app: cdk.App) -> list[cdk.Stack]:
    """The provider stack, then (unless ``providerOnly``) the users stack that uses it."""
    context = app.node.try_get_context
    provider_only = str(context("providerOnly") or "").lower() == "true"
    provider_name = str(context("providerStackName") or (provider_only and context("stackName"))
                        or PROVIDER_STACK_NAME)
    declaration = users_file(app, provider_name, provider_only=provider_only)
    options = provider_options(app)
    users_stack = str(context("stackName") or USERS_STACK_NAME)
    options["allowed_stacks"] = [users_stack, *allowed_stacks(app)]
    if declaration is not None:
        options["reenable_requires_adopt"] = declaration.reenable_requires_adopt
    provider = FinSpaceUserProviderStack(app, provider_name, provider_options=options)
    if declaration is None or provider_only:
        return [provider]
    users = FinSpaceUsersStack(app, users_stack, users=declaration.users,
                               groups=declaration.groups, provider=provider.provider)
    return [provider, users]


if __name__ == "__main__":
    application = cdk.App()
    try:
        build(application)
    except UsersFileError as error:
        print(error, file=sys.stderr)
        sys.exit(EXIT_ERROR)  # the command line's code for bad input; 2 means drift there
    application.synth()
