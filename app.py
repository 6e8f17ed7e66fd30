"""CDK app: FinSpace users from a users file (GitOps), or the provider alone.

    cdk synth                                  # users.yaml -> stack FinSpaceUsers
    cdk synth -c usersFile=teams/quant.yaml -c stackName=QuantUsers
    cdk synth -c providerOnly=true             # stack FinSpaceUserProvider, for plain templates
    cdk synth -c reservedConcurrency=20 -c functionTimeoutSeconds=600 -c serviceTimeoutSeconds=3600

Synthesis is offline and needs no AWS credentials.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# isort: off
from finspace_constructs.users_app import FinSpaceUserProviderStack, FinSpaceUsersStack  # first: quiets jsii
from finspace_constructs.users_file import UsersFileError, load_declaration
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


def build(app: cdk.App) -> cdk.Stack:
    context = app.node.try_get_context
    if str(context("providerOnly") or "").lower() == "true":
        return FinSpaceUserProviderStack(app, str(context("stackName") or "FinSpaceUserProvider"),
                                         provider_options=provider_options(app))
    declaration = load_declaration(Path(str(context("usersFile") or DEFAULT_USERS_FILE)))
    return FinSpaceUsersStack(app, str(context("stackName") or "FinSpaceUsers"), users=declaration.users,
                              groups=declaration.groups, provider_options=provider_options(app))


if __name__ == "__main__":
    application = cdk.App()
    try:
        build(application)
    except UsersFileError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    application.synth()
