"""Which FinSpace user the provider signs in as, where synthesis can tell (README: Bootstrap).

The handler knows its own role's ARN and refuses to lock the provider out (``lambda_handler.self_access``);
before a deploy, only names are known: the bootstrap's provider role is named
``<provider stack name>-<region>`` (``FinSpaceUserProvider-<region>`` by default), and a users file
may name the user registered with it (``provider_user``). No CDK and no pydantic here: the users
file, the constructs and ``finspace-users`` share it.

The app's stack names are declared here, once: ``app.py``, the constructs and the local stand-ins
(:mod:`finspace_local.cdk_app`) read them from this module.
"""

from __future__ import annotations

__all__ = ["PROVIDER_ROLE_PREFIX", "PROVIDER_STACK_NAME", "USERS_STACK_NAME", "names_provider_role",
           "provider_role_prefix"]

PROVIDER_STACK_NAME = "FinSpaceUserProvider"  # app.py's provider stack, deployed first, and its role's name prefix
USERS_STACK_NAME = "FinSpaceUsers"  # app.py's users stack (its default; -c stackName names another)


def provider_role_prefix(provider_stack_name: str = PROVIDER_STACK_NAME) -> str:
    """What the provider role's name starts with: ``<provider stack name>-`` (the region follows)."""
    return f"{provider_stack_name}-"


PROVIDER_ROLE_PREFIX = provider_role_prefix()


def names_provider_role(arn: str, prefix: str = PROVIDER_ROLE_PREFIX) -> bool:
    """True when ``arn`` is an IAM role (or an STS assumed-role session of one) whose name starts
    with ``prefix``; a role path (``role/path/Name``) is ignored."""
    parts = arn.strip().split(":", 5)
    if len(parts) != 6 or parts[2] not in ("iam", "sts"):
        return False
    resource = parts[5].split("/")
    if resource[0] == "role" and len(resource) >= 2:
        name = resource[-1]
    elif resource[0] == "assumed-role" and len(resource) >= 2:
        name = resource[1]
    else:
        return False
    return name.startswith(prefix) and len(name) > len(prefix)
