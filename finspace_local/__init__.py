"""Local stand-ins for what this project cannot reach here: the FinSpace Data API
(:mod:`finspace_local.server`) and CloudFormation (:mod:`finspace_local.cfn`)."""

from .faults import FaultSettings
from .server import CallRecord, Emulator, EmulatorSettings
from .tls import LocalCA

__all__ = ["CallRecord", "Emulator", "EmulatorSettings", "FaultSettings", "LocalCA"]
