"""The CloudFormation driver runs stacks as CloudFormation does, against a small crhelper handler."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from finspace_local import LocalCA
from finspace_local.cfn import (
    Driver,
    HandlerSpec,
    LambdaFunction,
    StackResult,
    StackStateError,
    TemplateValidationError,
)

HANDLERS = Path(__file__).resolve().parent / "handlers"
TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:echo"


def echo(**properties: Any) -> dict[str, Any]:
    return {"Type": "Custom::Echo", "Properties": {"ServiceToken": TOKEN, "ServiceTimeout": 10, **properties}}


def base_template(journal: Path) -> dict[str, Any]:
    return {
        "Parameters": {"Name": {"Type": "String", "Default": "alpha"}},
        "Resources": {
            "A": echo(Value={"Ref": "Name"}, Journal=str(journal)),
            "B": echo(Value={"Fn::GetAtt": ["A", "Echo"]}, Number=5, Flag=True, Journal=str(journal)),
            "C": echo(Value="gamma", Journal=str(journal)),
        },
        "Outputs": {"BValue": {"Value": {"Fn::GetAtt": ["B", "Echo"]}, "Export": {"Name": "echo-b"}}},
    }


class Harness:
    def __init__(self, tmp_path: Path, **spec: Any) -> None:
        self.tmp_path = tmp_path
        self.ca = LocalCA(tmp_path / "ca")
        self.function = LambdaFunction(HandlerSpec(
            code_dir=HANDLERS, handler="echo_handler.handler", timeout_s=spec.pop("timeout_s", 20),
            environment={"AWS_REGION": "us-east-1", "AWS_CA_BUNDLE": str(self.ca.bundle_path)}, **spec,
        ))
        self.journal = tmp_path / "journal.txt"
        self.driver = self.new_driver()

    def new_driver(self) -> Driver:
        return Driver(self.tmp_path / "stacks", self.ca, default_function=self.function, timeout_scale=0.2)

    def journal_lines(self) -> list[list[str]]:
        return [line.split() for line in self.journal.read_text().splitlines()] if self.journal.exists() else []

    def requests(self, request_type: str) -> list[dict[str, Any]]:
        return [r for r in self.driver.requests if r["RequestType"] == request_type]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    yield h
    h.driver.close()
    h.function.close()


def statuses(result: StackResult, logical_id: str) -> list[str]:
    return [e.status for e in result.events if e.logical_id == logical_id]


def test_create_sends_string_properties_in_dependency_order(harness: Harness) -> None:
    result = harness.driver.create_stack("s1", base_template(harness.journal))

    assert result.status == "CREATE_COMPLETE"
    assert result.resource_ids() == {"A": "echo-A-alpha", "B": "echo-B-alpha", "C": "echo-C-gamma"}
    b_event = next(r for r in harness.requests("Create") if r["LogicalResourceId"] == "B")
    assert b_event["ResourceProperties"]["Number"] == "5"
    assert b_event["ResourceProperties"]["Flag"] == "true"
    assert b_event["ServiceTimeout"] == "10"
    assert b_event["ResourceType"] == "Custom::Echo"
    assert b_event["ResponseURL"].startswith("https://127.0.0.1:")
    order = [line[2] for line in harness.journal_lines()]
    assert order.index("A") < order.index("B")
    assert result.stack.exports == {"echo-b": "alpha"}


def test_update_in_place_sends_old_properties_and_only_for_changed_resources(harness: Harness) -> None:
    template = base_template(harness.journal)
    harness.driver.create_stack("s1", template)
    changed = copy.deepcopy(template)
    changed["Resources"]["C"]["Properties"]["Value"] = "delta"

    result = harness.driver.update_stack("s1", changed)

    assert result.status == "UPDATE_COMPLETE"
    updates = harness.requests("Update")
    assert [u["LogicalResourceId"] for u in updates] == ["C"]
    assert updates[0]["OldResourceProperties"]["Value"] == "gamma"
    assert updates[0]["PhysicalResourceId"] == "echo-C-gamma"
    assert harness.requests("Delete") == []


def test_replacement_deletes_the_old_id_in_cleanup(harness: Harness) -> None:
    template = base_template(harness.journal)
    harness.driver.create_stack("s1", template)
    changed = copy.deepcopy(template)
    changed["Resources"]["C"]["Properties"].update(Value="delta", Replace=True)

    result = harness.driver.update_stack("s1", changed)

    assert result.status == "UPDATE_COMPLETE"
    assert result.resource_ids()["C"] == "echo-C-delta"
    assert [d["PhysicalResourceId"] for d in harness.requests("Delete")] == ["echo-C-gamma"]
    order = [e.status for e in result.events]
    assert order.index("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") < order.index("DELETE_IN_PROGRESS")


def test_failed_create_rolls_back_every_resource_with_its_answered_id(harness: Harness) -> None:
    template = base_template(harness.journal)
    template["Resources"]["C"]["Properties"]["Behaviour"] = "fail"

    result = harness.driver.create_stack("s1", template)

    assert result.status == "ROLLBACK_COMPLETE"
    assert "Create asked to fail" in next(e.reason for e in result.events if e.status == "CREATE_FAILED")
    deleted = {d["LogicalResourceId"]: d["PhysicalResourceId"] for d in harness.requests("Delete")}
    failed_id = next(e.physical_id for e in result.events if e.status == "CREATE_FAILED")
    assert deleted["C"] == failed_id
    assert failed_id.startswith("s1_C_")  # crhelper's random id for a failed create
    assert set(deleted) <= {"A", "B", "C"}
    assert result.stack.resources == {}


def test_failed_update_rolls_back_with_old_and_new_properties_swapped(harness: Harness) -> None:
    template = base_template(harness.journal)
    harness.driver.create_stack("s1", template)
    changed = copy.deepcopy(template)
    changed["Resources"]["A"]["Properties"]["Journal"] = str(harness.journal) + ".2"
    changed["Resources"]["C"]["Properties"].update(Value="delta", Behaviour="fail")

    result = harness.driver.update_stack("s1", changed)

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    rollbacks = [u for u in harness.requests("Update") if u["ResourceProperties"]["Journal"] == str(harness.journal)
                 and u["LogicalResourceId"] in ("A", "C") and "OldResourceProperties" in u
                 and u["ResourceProperties"].get("Behaviour") is None]
    assert {r["LogicalResourceId"] for r in rollbacks} == {"A", "C"}
    c_back = next(r for r in rollbacks if r["LogicalResourceId"] == "C")
    assert c_back["OldResourceProperties"]["Value"] == "delta"
    assert c_back["ResourceProperties"]["Value"] == "gamma"
    assert harness.driver.stack("s1").resources["C"].properties["Value"] == "gamma"  # type: ignore[union-attr]


def test_removed_resource_is_deleted_and_a_retained_one_is_not(harness: Harness) -> None:
    template = base_template(harness.journal)
    template["Resources"]["C"]["DeletionPolicy"] = "Retain"
    template["Resources"]["D"] = echo(Value="delta")
    harness.driver.create_stack("s1", template)
    smaller = copy.deepcopy(template)
    del smaller["Resources"]["C"], smaller["Resources"]["D"]

    result = harness.driver.update_stack("s1", smaller)

    assert result.status == "UPDATE_COMPLETE"
    assert [d["LogicalResourceId"] for d in harness.requests("Delete")] == ["D"]
    assert sorted(result.stack.resources) == ["A", "B"]


def test_delete_stack_deletes_dependents_first(harness: Harness) -> None:
    harness.driver.create_stack("s1", base_template(harness.journal))

    result = harness.driver.delete_stack("s1")

    assert result.status == "DELETE_COMPLETE"
    deletes = [line[2] for line in harness.journal_lines() if line[0] == "Delete"]
    assert sorted(deletes) == ["A", "B", "C"]
    assert deletes.index("B") < deletes.index("A")
    assert harness.driver.stack("s1") is None


def test_oversized_answer_fails_the_resource(harness: Harness) -> None:
    template = {"Resources": {"Big": echo(Value="v", Behaviour="oversized")}}

    result = harness.driver.create_stack("s1", template)

    assert result.status == "ROLLBACK_COMPLETE"
    assert [e.reason for e in result.events if e.status == "CREATE_FAILED"] == ["Response object is too long."]


def test_empty_physical_id_from_crhelper_timeout_is_rejected(tmp_path: Path) -> None:
    harness = Harness(tmp_path, timeout_s=2, retry_delays=(0.05, 0.05))
    try:
        # ServiceTimeout 6 s (scaled): longer than the 2 s Lambda timeout, which counts from the end of init.
        slow = echo(Value="v", Behaviour="sleep", ServiceTimeout=30)
        result = harness.driver.create_stack("s1", {"Resources": {"Slow": slow}})
        harness.function.drain()
    finally:
        harness.driver.close()
        harness.function.close()

    assert result.status == "ROLLBACK_COMPLETE"
    assert [e.reason for e in result.events if e.status == "CREATE_FAILED"] == ["Invalid PhysicalResourceId"]
    assert "Task timed out" in [i.outcome for i in harness.function.invocations]


def test_missing_answer_fails_after_the_service_timeout(harness: Harness) -> None:
    template = {"Resources": {"Mute": echo(Value="v", Behaviour="silent", ServiceTimeout=5)}}

    result = harness.driver.create_stack("s1", template)  # 5 s x timeout_scale 0.2 = 1 s

    assert result.status == "ROLLBACK_COMPLETE"
    reason = next(e.reason for e in result.events if e.status == "CREATE_FAILED")
    assert reason.startswith("CloudFormation did not receive a response from your Custom Resource")


def test_function_error_is_retried_by_lambda(harness: Harness) -> None:
    marker = harness.tmp_path / "crashed"
    template = {"Resources": {"Flaky": echo(Value="v", Behaviour="crash-once", Marker=str(marker))}}

    result = harness.driver.create_stack("s1", template)
    harness.function.drain()

    assert result.status == "CREATE_COMPLETE"
    assert [i.outcome for i in harness.function.invocations] == ["RuntimeError", "ok"]


def test_duplicate_delivery_invokes_the_handler_twice_with_one_request_id(tmp_path: Path) -> None:
    harness = Harness(tmp_path, deliver_twice=True)
    try:
        result = harness.driver.create_stack("s1", {"Resources": {"A": echo(Value="v", Journal=str(harness.journal))}})
        harness.function.drain()  # the second delivery ends after the first answer
        lines = harness.journal_lines()
    finally:
        harness.driver.close()

    assert result.status == "CREATE_COMPLETE"
    assert len(lines) == 2
    assert lines[0][1] == lines[1][1]


def test_yaml_template_with_import_value_and_state_kept_between_drivers(harness: Harness) -> None:
    harness.driver.create_stack("producer", base_template(harness.journal))
    yaml_template = (
        "Parameters:\n  Suffix:\n    Type: String\n"
        "Resources:\n  Consumer:\n    Type: Custom::Echo\n    Properties:\n"
        f"      ServiceToken: {TOKEN}\n"
        "      Value: !Sub '${Imported}-${Suffix}'\n"
        "      Imported: !ImportValue echo-b\n"
    )
    yaml_template = yaml_template.replace("${Imported}", "x")

    created = harness.driver.create_stack("consumer", yaml_template, {"Suffix": "s"})
    later = harness.new_driver()
    deleted = later.delete_stack("consumer")
    later.close()

    assert created.status == "CREATE_COMPLETE"
    consumer = next(r for r in harness.requests("Create") if r["LogicalResourceId"] == "Consumer")
    assert consumer["ResourceProperties"]["Imported"] == "alpha"
    assert consumer["ResourceProperties"]["Value"] == "x-s"
    assert deleted.status == "DELETE_COMPLETE"


def test_create_rollback_keeps_retain_and_deletes_retain_except_on_create(harness: Harness) -> None:
    kept, dropped = echo(Value="k"), echo(Value="d")
    kept["DeletionPolicy"], dropped["DeletionPolicy"] = "Retain", "RetainExceptOnCreate"
    failing = echo(Value="f", Behaviour="fail")
    failing["DependsOn"] = ["Kept", "Dropped"]

    result = harness.driver.create_stack("s1", {"Resources": {"Kept": kept, "Dropped": dropped, "Failing": failing}})

    assert result.status == "ROLLBACK_COMPLETE"
    assert statuses(result, "Kept")[-1] == "DELETE_SKIPPED"
    assert statuses(result, "Dropped")[-1] == "DELETE_COMPLETE"


def test_replaced_resource_follows_its_update_replace_policy(harness: Harness) -> None:
    kept = echo(Value="old")
    kept["UpdateReplacePolicy"] = "Retain"
    harness.driver.create_stack("s1", {"Resources": {"R": kept}})
    replaced = copy.deepcopy(kept)
    replaced["Properties"].update(Value="new", Replace=True)

    result = harness.driver.update_stack("s1", {"Resources": {"R": replaced}})

    assert result.status == "UPDATE_COMPLETE"
    assert harness.requests("Delete") == []
    assert "DELETE_SKIPPED" in statuses(result, "R")


def test_a_failed_rollback_delete_keeps_the_resource_until_a_delete_succeeds(harness: Harness) -> None:
    marker = harness.tmp_path / "refuse-deletes"
    marker.touch()
    stubborn = echo(Value="s", DeleteBehaviour="fail-while-marker", Marker=str(marker))
    failing = echo(Value="f", Behaviour="fail")
    failing["DependsOn"] = ["Stubborn"]
    template = {"Resources": {"Stubborn": stubborn, "Failing": failing}}

    result = harness.driver.create_stack("s1", template)

    assert result.status == "ROLLBACK_FAILED"
    assert [r.logical_id for r in result.leftovers] == ["Stubborn"]
    with pytest.raises(StackStateError, match=r"ROLLBACK_FAILED state and can not be updated: delete the stack"):
        harness.driver.deploy("s1", template)
    marker.unlink()
    deleted = harness.driver.delete_stack("s1")
    assert deleted.status == "DELETE_COMPLETE"
    assert [d["LogicalResourceId"] for d in harness.requests("Delete")].count("Stubborn") == 2
    assert harness.driver.deploy("s1", {"Resources": {"Stubborn": echo(Value="s")}}).status == "CREATE_COMPLETE"


def test_a_failed_stack_delete_keeps_only_what_failed_and_the_next_delete_retries_it(harness: Harness) -> None:
    marker = harness.tmp_path / "refuse-deletes"
    marker.touch()
    template = {"Resources": {"Easy": echo(Value="e"),
                              "Stubborn": echo(Value="s", DeleteBehaviour="fail-while-marker", Marker=str(marker))}}
    harness.driver.create_stack("s1", template)

    failed = harness.driver.delete_stack("s1")
    marker.unlink()
    again = harness.driver.delete_stack("s1")

    assert failed.status == "DELETE_FAILED"
    assert [r.logical_id for r in failed.leftovers] == ["Stubborn"]
    assert again.status == "DELETE_COMPLETE"
    assert sorted(d["LogicalResourceId"] for d in harness.requests("Delete")) == ["Easy", "Stubborn", "Stubborn"]


def test_update_rollback_failed_is_continued_then_the_stack_updates_again(harness: Harness) -> None:
    marker = harness.tmp_path / "refuse-deletes"
    marker.touch()
    harness.driver.create_stack("s1", {"Resources": {"A": echo(Value="a")}})
    new = echo(Value="n", DeleteBehaviour="fail-while-marker", Marker=str(marker))
    failing = echo(Value="f", Behaviour="fail")
    failing["DependsOn"] = ["New"]

    result = harness.driver.update_stack("s1", {"Resources": {"A": echo(Value="a"), "New": new, "Failing": failing}})

    assert result.status == "UPDATE_ROLLBACK_FAILED"
    with pytest.raises(StackStateError, match="continue the update rollback"):
        harness.driver.update_stack("s1", {"Resources": {"A": echo(Value="b")}})
    marker.unlink()
    continued = harness.driver.continue_update_rollback("s1")
    assert continued.status == "UPDATE_ROLLBACK_COMPLETE"
    assert continued.leftovers == []
    assert harness.driver.update_stack("s1", {"Resources": {"A": echo(Value="b")}}).status == "UPDATE_COMPLETE"


def test_a_nested_stack_that_cannot_roll_back_keeps_its_parent_rollback_failed_until_deleted(
        harness: Harness) -> None:
    marker = harness.tmp_path / "refuse-deletes"
    marker.touch()
    child = {"Resources": {"Stubborn": echo(Value="s", DeleteBehaviour="fail-while-marker", Marker=str(marker))}}
    (harness.tmp_path / "child.json").write_text(json.dumps(child))
    nested = {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "child.json"},
              "Metadata": {"aws:asset:path": "child.json"}}
    failing = echo(Value="f", Behaviour="fail")
    failing["DependsOn"] = ["Child"]
    parent = {"Resources": {"Child": nested, "Failing": failing}}

    result = harness.driver.create_stack("p", parent, template_dir=harness.tmp_path)

    assert result.status == "ROLLBACK_FAILED"
    assert harness.driver.stack("p-Child") is not None  # the child keeps what it could not delete
    marker.unlink()
    assert harness.driver.delete_stack("p").status == "DELETE_COMPLETE"
    assert harness.driver.stack("p-Child") is None
    assert harness.driver.deploy("p", {"Resources": {"Child": nested}},
                                 template_dir=harness.tmp_path).status == "CREATE_COMPLETE"


def test_continue_update_rollback_puts_a_nested_stack_back_on_its_previous_template(harness: Harness) -> None:
    marker = harness.tmp_path / "refuse-updates"
    old_child = {"Resources": {"R": echo(Value="a", Behaviour="fail-while-marker", Marker=str(marker))}}
    new_child = {"Resources": {"R": echo(Value="b")}}

    def parent(child: dict[str, Any], name: str, *extra: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        (harness.tmp_path / name).write_text(json.dumps(child))
        nested = {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": name},
                  "Metadata": {"aws:asset:path": name}}
        return {"Resources": {"Child": nested, **dict(extra)}}

    harness.driver.create_stack("p", parent(old_child, "old.json"), template_dir=harness.tmp_path)
    marker.touch()  # from now on the child's old properties cannot be applied again
    failing = echo(Value="f", Behaviour="fail")
    failing["DependsOn"] = ["Child"]

    stuck = harness.driver.update_stack("p", parent(new_child, "new.json", ("Failing", failing)),
                                        template_dir=harness.tmp_path)
    marker.unlink()
    continued = harness.driver.continue_update_rollback("p", template_dir=harness.tmp_path)

    assert stuck.status == "UPDATE_ROLLBACK_FAILED"
    assert continued.status == "UPDATE_ROLLBACK_COMPLETE"
    child = harness.driver.stack("p-Child")
    assert child is not None
    assert child.resources["R"].properties["Value"] == "a"


def over_quota(kind: str) -> tuple[dict[str, Any], str]:
    """A template one past a quota of CloudFormation's (its echo resources are never to be invoked), and
    CloudFormation's refusal."""
    one = {"Only": echo(Value="v")}
    templates: dict[str, tuple[dict[str, Any], str]] = {
        "resources": ({"Resources": {f"R{i}": echo(Value="v") for i in range(501)}},
                      "Template format error: Number of resources, 501, is greater than maximum allowed, 500"),
        "parameters": ({"Parameters": {f"P{i}": {"Type": "String", "Default": "x"} for i in range(201)},
                        "Resources": one},
                       "Template format error: Parameter count 201 is greater than max allowed 200"),
        "outputs": ({"Resources": one, "Outputs": {f"O{i}": {"Value": "x"} for i in range(201)}},
                    "Template format error: Outputs count 201 is greater than max allowed 200"),
        "mappings": ({"Resources": one, "Mappings": {f"M{i}": {"k": {"a": "b"}} for i in range(201)}},
                     "Template format error: Mappings count 201 is greater than max allowed 200"),
        "mapping attributes": ({"Resources": one, "Mappings": {"M": {"k": {f"a{i}": "b" for i in range(201)}}}},
                               "Template format error: Mapping M key k attribute count 201 is greater than max "
                               "allowed 200"),
        "logical id length": ({"Resources": {"R" * 256: echo(Value="v")}},
                              f"Template format error: Resource name {'R' * 256} is longer than 255 characters"),
        "description": ({"Description": "d" * 1025, "Resources": one},
                        "Template format error: 'Description' length is greater than 1024."),
        "size from S3": ({"Resources": {"Only": echo(Value="v" * 1_000_000)}},
                         "Template may not exceed 1000000 bytes in size."),
    }
    return templates[kind]


QUOTAS = ["resources", "parameters", "outputs", "mappings", "mapping attributes", "logical id length", "description",
          "size from S3"]


@pytest.mark.parametrize("kind", QUOTAS)
def test_a_template_over_a_quota_is_refused_with_cloudformation_s_message_before_any_resource(
        harness: Harness, kind: str) -> None:
    template, message = over_quota(kind)

    with pytest.raises(TemplateValidationError) as refused:
        harness.driver.create_stack("s1", template)

    assert str(refused.value) == message
    assert harness.driver.requests == []
    assert harness.driver.stack("s1") is None


def test_an_update_over_a_quota_is_refused_and_the_stack_stays_as_it_was(harness: Harness) -> None:
    harness.driver.create_stack("s1", {"Resources": {"A": echo(Value="a")}})
    template, message = over_quota("resources")

    with pytest.raises(TemplateValidationError, match=message):
        harness.driver.deploy("s1", template)

    stack = harness.driver.stack("s1")
    assert stack is not None
    assert (stack.status, list(stack.template["Resources"])) == ("CREATE_COMPLETE", ["A"])
    assert [r["RequestType"] for r in harness.driver.requests] == ["Create"]


def test_a_template_over_51200_bytes_goes_through_s3_as_cdk_deploy_sends_it_unless_passed_inline(
        harness: Harness, tmp_path: Path) -> None:
    path = tmp_path / "big.template.json"
    path.write_text(json.dumps({"Resources": {"A": echo(Value="v", Padding="p" * 60_000)}}, indent=1))

    with pytest.raises(TemplateValidationError) as refused:
        harness.driver.create_stack("inline", path, inline=True)
    created = harness.driver.create_stack("uploaded", path)

    assert str(refused.value) == ("1 validation error detected: Value '...' at 'templateBody' failed to satisfy "
                                  "constraint: Member must have length less than or equal to 51200")
    assert harness.driver.stack("inline") is None
    assert created.status == "CREATE_COMPLETE"


def test_a_parameter_value_over_4096_bytes_is_refused(harness: Harness) -> None:
    template = {"Parameters": {"Ids": {"Type": "CommaDelimitedList"}}, "Resources": {"A": echo(Value="a")}}

    with pytest.raises(TemplateValidationError) as refused:
        harness.driver.create_stack("s1", template, {"Ids": ",".join(["x" * 26] * 152)})

    assert str(refused.value) == "Parameter Ids has a value of 4103 bytes, greater than max allowed 4096"
    assert harness.driver.requests == []


def nested_parent(tmp_path: Path, child: dict[str, Any], parameters: dict[str, Any] | None = None,
                  file_name: str = "child.json") -> dict[str, Any]:
    (tmp_path / file_name).write_text(json.dumps(child))
    properties: dict[str, Any] = {"TemplateURL": file_name}
    if parameters is not None:
        properties["Parameters"] = parameters
    nested = {"Type": "AWS::CloudFormation::Stack", "Properties": properties, "Metadata": {"aws:asset:path": file_name}}
    return {"Resources": {"Sibling": echo(Value="s"), "Child": nested}}


def test_a_nested_stack_over_a_quota_fails_its_resource_with_the_message_and_is_never_created(
        harness: Harness) -> None:
    child, message = over_quota("parameters")

    result = harness.driver.create_stack("p", nested_parent(harness.tmp_path, child), template_dir=harness.tmp_path)

    assert result.status == "ROLLBACK_COMPLETE"
    assert [(e.status, e.reason) for e in result.events if e.logical_id == "Child"][-1:] == [("CREATE_FAILED", message)]
    assert harness.driver.stack("p-Child") is None
    assert {r["LogicalResourceId"] for r in harness.driver.requests} <= {"Sibling"}  # nothing of the child's


def test_a_nested_update_over_a_quota_fails_and_rolls_back_leaving_the_child_as_it_was(harness: Harness) -> None:
    small = {"Resources": {"R": echo(Value="a")}}
    harness.driver.create_stack("p", nested_parent(harness.tmp_path, small), template_dir=harness.tmp_path)
    child, message = over_quota("outputs")

    result = harness.driver.update_stack("p", nested_parent(harness.tmp_path, child, file_name="new.json"),
                                         template_dir=harness.tmp_path)

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    assert ("UPDATE_FAILED", message) in [(e.status, e.reason) for e in result.events if e.logical_id == "Child"]
    kept = harness.driver.stack("p-Child")
    assert kept is not None
    assert (kept.status, kept.template) == ("CREATE_COMPLETE", small)


def test_a_parent_passes_lists_to_a_nested_stack_and_a_value_over_4096_bytes_fails_it(harness: Harness) -> None:
    child = {"Parameters": {"Ids": {"Type": "CommaDelimitedList"}},
             "Resources": {"R": echo(Value={"Fn::Select": [1, {"Ref": "Ids"}]})}}
    short = ",".join(["a", "b", "c"])

    created = harness.driver.create_stack("p", nested_parent(harness.tmp_path, child, {"Ids": short}),
                                          template_dir=harness.tmp_path)
    too_long = harness.driver.create_stack("q", nested_parent(harness.tmp_path, child, {"Ids": "x" * 4097}),
                                           template_dir=harness.tmp_path)

    assert created.status == "CREATE_COMPLETE"
    assert harness.driver.stack("p-Child").resources["R"].properties["Value"] == "b"  # type: ignore[union-attr]
    assert too_long.status == "ROLLBACK_COMPLETE"
    assert ("CREATE_FAILED", "Parameter Ids has a value of 4097 bytes, greater than max allowed 4096") in [
        (e.status, e.reason) for e in too_long.events if e.logical_id == "Child"]
    assert harness.driver.stack("q-Child") is None
