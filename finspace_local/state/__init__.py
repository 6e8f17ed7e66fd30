"""The emulator's state in SQLite: one method per operation, idempotency, time.

Kept in a file (a demo can stop and resume) or in memory. All access goes
through one lock: SQLite serialises writers anyway, and this keeps each
operation atomic (idempotency look-up, checks and writes together).

Users and permission groups belong to an environment, as in FinSpace: a call acts in
the environment its credentials were issued for. Each configured environment is
created with its first superuser (as the AWS console does), who has no API access.

One module per part, each over the shared :class:`~finspace_local.state.tables.Tables`:
:mod:`.schema` (the tables and older state files), :mod:`.users`, :mod:`.groups`,
:mod:`.memberships`, :mod:`.principals` (IAM principals and issued credentials), and
:mod:`.backend`, the API's dispatch under the lock and the administration.
"""

from .backend import FIRST_SUPERUSER_EMAIL, Backend, Caller
from .principals import CREDENTIALS_OPERATION
from .tables import BackendSettings

__all__ = ["CREDENTIALS_OPERATION", "FIRST_SUPERUSER_EMAIL", "Backend", "BackendSettings", "Caller"]
