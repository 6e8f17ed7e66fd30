"""``finspace-users``: the command line for FinSpace users as code (README: "finspace-users").

Against a real environment (``--environment-id``, ``--region``, your AWS credentials) or the
demo's local emulator (``--local``): ``import`` writes a users file from what exists, ``drift``
compares a users file with FinSpace, ``users`` lists; ``deploy``, ``diff`` and ``destroy`` drive the
local stand-ins (``finspace_local``) as ``make demo`` does.
"""

from .cli import main

__all__ = ["main"]
