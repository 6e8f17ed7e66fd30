"""The long exploration of the do-no-harm invariants (tests/functional/harm_machine.py): many more
sequences than the suite's guard test, each longer. Any counterexample fails the run with the
shortest sequence Hypothesis finds.

    python -m benchmarks.harm --examples 200 --steps 15
"""

from __future__ import annotations

import argparse
import time

from tests.functional.harm_machine import explore

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=200, help="sequences to try (default 200)")
    parser.add_argument("--steps", type=int, default=15, help="most steps per sequence (default 15)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    explore(examples=args.examples, steps=args.steps)
    print(f"{args.examples} sequences of up to {args.steps} steps: every invariant held "
          f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
