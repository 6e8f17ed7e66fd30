"""CDK app: FinSpace users from a users file (GitOps), or the provider alone.

    cdk synth                                  # users.yaml -> stack FinSpaceUsers
    cdk synth -c usersFile=teams/quant.yaml -c stackName=QuantUsers
    cdk synth -c providerOnly=true             # stack FinSpaceUserProvider, for plain templates

Synthesis is offline and needs no AWS credentials.
"""

from __future__ import annotations

import sys
from pathlib import Path

# isort: off
from finspace_constructs.users_app import FinSpaceUserProviderStack, FinSpaceUsersStack  # first: quiets jsii
from finspace_constructs.users_file import UsersFileError, load_declaration
import aws_cdk as cdk

# isort: on

DEFAULT_USERS_FILE = "users.yaml"


def build(app: cdk.App) -> cdk.Stack:
    context = app.node.try_get_context
    if str(context("providerOnly") or "").lower() == "true":
        return FinSpaceUserProviderStack(app, str(context("stackName") or "FinSpaceUserProvider"))
    declaration = load_declaration(Path(str(context("usersFile") or DEFAULT_USERS_FILE)))
    return FinSpaceUsersStack(app, str(context("stackName") or "FinSpaceUsers"), users=declaration.users,
                              groups=declaration.groups)


if __name__ == "__main__":
    application = cdk.App()
    try:
        build(application)
    except UsersFileError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    application.synth()
