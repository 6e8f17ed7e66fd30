"""One Lambda "container": imports a handler once, then runs events while warm.

Protocol with :mod:`finspace_local.cfn.lambda_runtime`: one JSON line per event on
standard input (``event``, ``request_id``, ``deadline``); one JSON line per result on
the protocol descriptor. The handler's own stdout is sent to stderr with its logs,
as the Lambda runtime sends both to CloudWatch Logs.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from typing import Any

__all__ = ["Context", "main"]


class Context:
    """The parts of the Lambda context object handlers use."""

    def __init__(self, function_name: str, request_id: str, deadline: float, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.aws_request_id = request_id
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:123456789012:function:{function_name}"
        self.memory_limit_in_mb = "256"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = deadline
        self.timeout_s = timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def main() -> None:
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)  # run as a script: the driver's own modules must not shadow the handler's imports
    code_dir, handler_path, function_name, timeout_s = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the handler's prints go with its logs
    # As Lambda's INIT_START line does, say which runtime this container is.
    print(f"INIT_START Runtime Version: python:{sys.version_info.major}.{sys.version_info.minor}",
          file=sys.stderr, flush=True)
    sys.path.insert(0, code_dir)
    # The Lambda runtime gives the root logger a handler; libraries (crhelper) rely on it.
    logging.root.addHandler(logging.StreamHandler(sys.stderr))
    module_name, function = handler_path.rsplit(".", 1)
    try:
        handler = getattr(importlib.import_module(module_name), function)
    except Exception:  # an init error: Lambda reports it on every invocation
        init_error = traceback.format_exc()
        handler = None
    _reply(protocol, {"ready": True})  # init done: a warm container from now on
    for line in sys.stdin:
        message = json.loads(line)
        if handler is None:
            _reply(protocol, {"ok": False, "error": "Runtime.ImportModuleError", "trace": init_error})
            continue
        context = Context(function_name, message["request_id"], message["deadline"], timeout_s)
        _reply(protocol, _invoke(handler, message["event"], context))


def _invoke(handler: Any, event: dict[str, Any], context: Context) -> dict[str, Any]:
    try:
        handler(event, context)
        return {"ok": True}
    except BaseException as error:
        print(traceback.format_exc(), file=sys.stderr, flush=True)
        return {"ok": False, "error": type(error).__name__}


def _reply(protocol: Any, result: dict[str, Any]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    protocol.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
