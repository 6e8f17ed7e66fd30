"""A throw-away certificate authority for loopback HTTPS servers (via ``trustme``).

One CA serves both the emulator and the CloudFormation driver's ResponseURL, so a
single ``AWS_CA_BUNDLE`` file makes botocore and crhelper trust both.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

__all__ = ["LocalCA"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class LocalCA:
    """A CA whose bundle is written to ``directory/ca.pem``."""

    def __init__(self, directory: Path) -> None:
        self._ca = trustme.CA()
        self._leaf = self._ca.issue_cert(*LOOPBACK_NAMES)
        directory.mkdir(parents=True, exist_ok=True)
        self.bundle_path = directory / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.bundle_path))

    def trusted_by(self, bundle: Path) -> bool:
        """Whether the CA bundle file ``bundle`` holds this CA's certificate."""
        try:
            return self._ca.cert_pem.bytes().strip() in bundle.read_bytes()
        except OSError:
            return False

    def server_context(self) -> ssl.SSLContext:
        """A TLS context for a server that presents a loopback certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._leaf.configure_cert(context)
        return context
