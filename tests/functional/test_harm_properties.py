"""The do-no-harm invariants over random sequences (tests/functional/harm_machine.py), derandomized and
bounded to fit the suite's time budget; ``make bench-harm`` runs the longer exploration."""

from __future__ import annotations

from tests.functional.harm_machine import explore


def test_no_sequence_of_deploys_renames_destroys_offboardings_or_faults_harms_what_existed() -> None:
    # Each step deploys through the driver with the real handler (about 1-3 s on this machine):
    # 12 sequences of up to 8 steps take about half a minute here.
    explore(examples=12, steps=8)
