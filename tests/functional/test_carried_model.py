"""The carried finspace-data model works with botocore releases that lack it, and with old ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import botocore
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError
from botocore.model import ServiceModel, Shape

from finspace_local import Emulator
from lambda_handler.api_model import MODEL_ROOT, SERVICE_NAME, service_model_dict
from tests.conftest import ENVIRONMENT_ID, user_client

REPO = Path(__file__).resolve().parents[2]
OLDEST_BOTOCORE_PATH = Path(os.environ.get("OLDEST_BOTOCORE_PATH", REPO / ".venv" / "oldest-botocore"))


def test_newest_botocore_lacks_the_model_so_the_carried_one_is_needed() -> None:
    with pytest.raises(UnknownServiceError):
        botocore.session.Session().create_client(SERVICE_NAME, region_name="us-east-1")
    assert tuple(int(p) for p in botocore.__version__.split(".")[:3]) > (1, 43, 116)


def test_carried_model_records_its_source_and_has_no_documentation() -> None:
    source = json.loads((MODEL_ROOT / "SOURCE.json").read_text())
    model_text = (MODEL_ROOT / SERVICE_NAME / "2020-07-13" / "service-2.json").read_text()

    assert source["botocore"] == "1.43.116"
    assert '"documentation"' not in model_text
    assert '"CreateUser"' in model_text


def test_carried_model_holds_the_recorded_operations_and_every_shape_they_reach() -> None:
    source = json.loads((MODEL_ROOT / "SOURCE.json").read_text())
    model = ServiceModel(service_model_dict(), service_name=SERVICE_NAME)

    def reach(shape: Shape | None, seen: set[str]) -> set[str]:  # a missing shape raises NoShapeFoundError
        if shape is None or shape.name in seen:
            return seen
        seen.add(shape.name)
        children = [getattr(shape, a) for a in ("member", "key", "value") if hasattr(shape, a)]
        for child in [*children, *getattr(shape, "members", {}).values()]:
            reach(child, seen)
        return seen

    reached: set[str] = set()
    for name in model.operation_names:
        operation = model.operation_model(name)
        for shape in (operation.input_shape, operation.output_shape, *operation.error_shapes):
            reach(shape, reached)

    assert sorted(model.operation_names) == source["operations"]
    assert {"CreateUser", "GetProgrammaticAccessCredentials", "UpdatePermissionGroup"} <= set(model.operation_names)
    assert reached == set(model.shape_names)  # every shape resolves, and none is dead weight


def test_newest_botocore_with_carried_model_calls_the_emulator(emulator: Emulator) -> None:
    client = user_client()

    user_id = client.create_user(emailAddress="new@example.com", type="APP_USER")["userId"]

    assert client.get_user(userId=user_id)["status"] == "ENABLED"


def test_oldest_supported_botocore_with_carried_model_calls_the_emulator(emulator: Emulator) -> None:
    assert (OLDEST_BOTOCORE_PATH / "botocore").is_dir(), "run 'make setup' to install the oldest botocore"
    script = (
        "import botocore, sys; sys.path.insert(0, sys.argv[1])\n"
        "from lambda_handler.client import new_finspace_client\n"
        "c = new_finspace_client(region_name='us-east-1', credentials=('AKIAOLD', 'secret', None))\n"
        f"r = c.get_programmatic_access_credentials(environmentId='{ENVIRONMENT_ID}')\n"
        "print(botocore.__version__, r['durationInMinutes'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(OLDEST_BOTOCORE_PATH)}

    out = subprocess.run([sys.executable, "-c", script, str(REPO)], env=env, capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()

    installed = next(OLDEST_BOTOCORE_PATH.glob("botocore-*.dist-info")).name.split("-")[1].removesuffix(".dist")
    assert out[0] == installed
    assert tuple(int(p) for p in out[0].split(".")) < (1, 43, 116)
    assert out[1] == "60"
