"""The AWS APIs a :class:`~finspace_local.cfn.engine.Driver` serves to the functions it invokes.

CloudFormation's read API (the driver's stacks as they are at each moment, see
:mod:`finspace_local.cfn.live`) and SSM Parameter Store (kept in ``<state dir>/ssm/parameters.json``,
so a driver started again on the same folder finds the parameters), both at one HTTPS endpoint
on loopback with the driver's certificate authority. :meth:`DriverServices.equip` is the one place
a function learns of them: botocore's per-service endpoint overrides, and ``AWS_CA_BUNDLE`` when
the function has none. As IAM would, the endpoint knows the keys of the functions it serves (their
role's credentials) and verifies every signature against them; :meth:`DriverServices.trust` adds others.
"""

from __future__ import annotations

import weakref
from pathlib import Path

from ..aws import AwsEndpoint, CloudFormationApi, ParameterStore, SsmApi
from ..sigv4 import SigningKey
from ..tls import LocalCA
from .lambda_runtime import LambdaFunction
from .live import LiveStacks
from .state import StackStore

__all__ = ["DriverServices"]


class DriverServices:
    """The endpoint, what it serves, and the functions told about it."""

    def __init__(self, store: StackStore, ca: LocalCA, *, region: str, account: str) -> None:
        self.live = LiveStacks(store)
        self.parameters = ParameterStore(store.directory / "ssm" / "parameters.json", region=region, account=account)
        self.keys: dict[str, SigningKey] = {}  # read at each request: keys added later count
        self.endpoint = AwsEndpoint(ca.server_context(), [CloudFormationApi(self.live), SsmApi(self.parameters)],
                                    region=region, keys=self.keys)
        self._ca = ca
        self._equipped: weakref.WeakSet[LambdaFunction] = weakref.WeakSet()

    def environment(self, function: LambdaFunction) -> dict[str, str]:
        """What ``function`` must be given to reach the endpoint. A CA bundle it already has must
        trust the endpoint's certificate: one bundle serves every HTTPS call botocore makes."""
        variables = self.endpoint.environment()
        bundle = function.environment.get("AWS_CA_BUNDLE")
        if bundle is None:
            variables["AWS_CA_BUNDLE"] = str(self._ca.bundle_path)
        elif not self._ca.trusted_by(Path(bundle)):
            raise ValueError(f"the function {function.spec.function_name}'s AWS_CA_BUNDLE ({bundle}) does not trust "
                             "the driver's LocalCA: build the emulator and the driver with the same LocalCA")
        return variables

    def equip(self, function: LambdaFunction | None) -> None:
        """Give ``function`` :meth:`environment` (once; containers warm before are retired)."""
        if function is None or function in self._equipped:
            return
        function.add_environment(self.environment(function))
        variables = function.environment
        if variables.get("AWS_ACCESS_KEY_ID") and variables.get("AWS_SECRET_ACCESS_KEY"):
            self.trust(SigningKey(variables["AWS_ACCESS_KEY_ID"], variables["AWS_SECRET_ACCESS_KEY"],
                                  variables.get("AWS_SESSION_TOKEN")))
        self._equipped.add(function)

    def trust(self, key: SigningKey) -> None:
        """Accept requests signed with ``key`` (a role's credentials, as IAM knows them)."""
        self.keys[key.access_key_id] = key

    def close(self) -> None:
        self.endpoint.close()
