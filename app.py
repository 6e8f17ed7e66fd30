"""CDK app: an example stack of FinSpace users from context values.

    cdk synth -c environmentId=abcdefghijklmnopqrstuvwxyz -c userEmails=ada@example.com,bob@example.com

Context: ``environmentId`` (required), ``userEmails`` (comma-separated; default: one
example user), ``stackName`` (default ``FinSpaceUsers``). The users file (GitOps)
arrives with a later issue.
"""

from __future__ import annotations

import os

# Node 20 is what this machine has; jsii's end-of-life banner would drown the output.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk

from finspace_constructs import FinSpaceUser, UserType

DEFAULT_EMAILS = "first.user@example.com"


def build(app: cdk.App) -> cdk.Stack:
    environment_id = app.node.try_get_context("environmentId")
    if not environment_id:
        raise SystemExit("Set the FinSpace environment: cdk synth -c environmentId=<your environment id>")
    emails = str(app.node.try_get_context("userEmails") or DEFAULT_EMAILS).split(",")
    stack = cdk.Stack(app, str(app.node.try_get_context("stackName") or "FinSpaceUsers"))
    for index, email in enumerate(e.strip() for e in emails if e.strip()):
        FinSpaceUser(stack, f"User{index + 1}", environment_id=environment_id, email_address=email,
                     type=UserType.SUPER_USER if index == 0 else UserType.APP_USER)
    return stack


if __name__ == "__main__":
    application = cdk.App()
    build(application)
    application.synth()
