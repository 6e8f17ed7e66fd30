"""Telling CDK tokens from literal values, cheaply: one place for the marker and the check."""

from __future__ import annotations

import functools

from aws_cdk import Token

__all__ = ["is_token"]

_TOKEN_MARKER = "${Token["  # noqa: S105 - how CDK encodes a token inside a string, not a secret


def is_token(value: str) -> bool:
    """Token.is_unresolved, asked only when the string carries CDK's token marker: a plain
    literal cannot be a token, and one jsii call per property would triple synthesis time."""
    return _TOKEN_MARKER in value and _is_unresolved(value)


@functools.lru_cache(maxsize=1024)
def _is_unresolved(value: str) -> bool:
    """Token.is_unresolved once per token string: every member of a group carries the same one."""
    return bool(Token.is_unresolved(value))
