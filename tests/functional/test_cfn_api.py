"""The driver's CloudFormation read API, over HTTPS with boto3, as a handler sees it while the driver
runs create, update, rollback, cleanup and delete, nested stacks included (``observer_handler``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.functional.aws_harness import ApiHarness, rows, statuses


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    harness = ApiHarness(tmp_path)
    yield harness
    harness.close()


def test_a_stack_is_described_and_listed_by_name_and_id_then_by_id_once_deleted(api: ApiHarness) -> None:
    cfn = api.client("cloudformation")
    created = api.driver.create_stack("s1", {"Parameters": {"Secret": {"Type": "String", "NoEcho": True}},
                                             "Resources": {"A": api.echo(Value="a")}}, {"Secret": "hush"})

    by_name = cfn.describe_stacks(StackName="s1")["Stacks"][0]
    by_id = cfn.describe_stacks(StackName=created.stack.stack_id)["Stacks"][0]
    listed = cfn.list_stack_resources(StackName="s1")["StackResourceSummaries"]
    api.driver.delete_stack("s1")
    deleted = cfn.describe_stacks(StackName=created.stack.stack_id)["Stacks"][0]
    deleted_rows = cfn.list_stack_resources(StackName=created.stack.stack_id)["StackResourceSummaries"]

    assert by_name == by_id
    assert (by_name["StackName"], by_name["StackStatus"]) == ("s1", "CREATE_COMPLETE")
    assert {"LastUpdatedTime", "ParentId", "RootId"}.isdisjoint(by_name)
    assert by_name["Parameters"] == [{"ParameterKey": "Secret", "ParameterValue": "****"}]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceType"], r["ResourceStatus"])
            for r in listed] == [("A", "echo-A-a", "Custom::Echo", "CREATE_COMPLETE")]
    assert (deleted["StackStatus"], "DeletionTime" in deleted) == ("DELETE_COMPLETE", True)
    assert [(r["LogicalResourceId"], r["ResourceStatus"]) for r in deleted_rows] == [("A", "DELETE_COMPLETE")]
    for call in (cfn.describe_stacks, cfn.list_stack_resources):
        with pytest.raises(ClientError) as refused:
            call(StackName="s1")  # a deleted stack is found by its id only
        assert refused.value.response["Error"]["Code"] == "ValidationError"
        assert refused.value.response["Error"]["Message"] == "Stack with id s1 does not exist"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_stack_resources_pages_by_100(api: ApiHarness) -> None:
    api.driver.create_stack("big", {"Resources": {f"Topic{i:03d}": {"Type": "AWS::SNS::Topic"} for i in range(150)}})
    cfn = api.client("cloudformation")

    first = cfn.list_stack_resources(StackName="big")
    every = [r for page in cfn.get_paginator("list_stack_resources").paginate(StackName="big")
             for r in page["StackResourceSummaries"]]

    assert len(first["StackResourceSummaries"]) == 100
    assert first["NextToken"]
    assert sorted(r["LogicalResourceId"] for r in every) == [f"Topic{i:03d}" for i in range(150)]
    with pytest.raises(ClientError, match="Invalid NextToken"):
        cfn.list_stack_resources(StackName="big", NextToken="bm90IGEgdG9rZW4=")


def test_create_rollback_as_the_handler_sees_it(api: ApiHarness) -> None:
    template = {"Resources": {"A": api.echo(Value="a"), "B": api.echo(("A",), Value="b", Behaviour="fail")}}

    result = api.driver.create_stack("s1", template)

    assert result.status == "ROLLBACK_COMPLETE"
    create_a, create_b = api.seen("Create", "A"), api.seen("Create", "B")
    delete_b, delete_a = api.seen("Delete", "B"), api.seen("Delete", "A")
    assert statuses(create_a) == ["CREATE_IN_PROGRESS"]
    assert rows(create_a) == {"A": ("CREATE_IN_PROGRESS", "")}
    assert rows(create_b) == {"A": ("CREATE_COMPLETE", "echo-A-a"), "B": ("CREATE_IN_PROGRESS", "")}
    assert statuses(delete_b) == statuses(delete_a) == ["ROLLBACK_IN_PROGRESS"]
    assert rows(delete_b) == {"A": ("CREATE_COMPLETE", "echo-A-a"), "B": ("DELETE_IN_PROGRESS", delete_b["physical"])}
    assert rows(delete_a) == {"A": ("DELETE_IN_PROGRESS", "echo-A-a")}  # B's delete completed: no longer listed
    assert api.client("cloudformation").list_stack_resources(StackName="s1")["StackResourceSummaries"] == []


def test_update_rollback_then_its_cleanup_as_the_handler_sees_it(api: ApiHarness) -> None:
    api.driver.create_stack("s1", {"Resources": {"A": api.echo(Value="1")}})
    failing = {"A": api.echo(Value="2"), "N": api.echo(Value="n"),
               "F": api.echo(("A", "N"), Value="f", Behaviour="fail")}

    result = api.driver.update_stack("s1", {"Resources": failing})

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    forward, back = api.seen("Update", "A", value="2"), api.seen("Update", "A", value="1")
    delete_f, delete_n = api.seen("Delete", "F"), api.seen("Delete", "N")
    assert statuses(forward) == ["UPDATE_IN_PROGRESS"]
    assert rows(forward)["A"] == ("UPDATE_IN_PROGRESS", "echo-A-1")
    assert statuses(back) == ["UPDATE_ROLLBACK_IN_PROGRESS"]
    assert rows(back)["A"] == ("UPDATE_IN_PROGRESS", "echo-A-1")
    assert rows(back)["F"][0] == "CREATE_FAILED"
    assert statuses(delete_f) == statuses(delete_n) == ["UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"]
    assert rows(delete_f)["A"] == ("UPDATE_COMPLETE", "echo-A-1")
    assert rows(delete_f)["F"] == ("DELETE_IN_PROGRESS", delete_f["physical"])
    assert rows(delete_n) == {"A": ("UPDATE_COMPLETE", "echo-A-1"), "N": ("DELETE_IN_PROGRESS", "echo-N-n")}
    stack = api.client("cloudformation").describe_stacks(StackName="s1")["Stacks"][0]
    assert (stack["StackStatus"], "LastUpdatedTime" in stack) == ("UPDATE_ROLLBACK_COMPLETE", True)
    listed = api.client("cloudformation").list_stack_resources(StackName="s1")["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["ResourceStatus"]) for r in listed] == [("A", "UPDATE_COMPLETE")]


def test_cleanup_after_a_rename_lists_the_new_resource_holding_the_same_id(api: ApiHarness) -> None:
    api.driver.create_stack("s1", {"Resources": {"Old": api.echo(Value="v", PhysicalId="shared-id")}})

    result = api.driver.update_stack("s1", {"Resources": {"New": api.echo(Value="v", PhysicalId="shared-id")}})

    assert result.status == "UPDATE_COMPLETE"
    delete_old = api.seen("Delete", "Old")
    assert statuses(delete_old) == ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    assert rows(delete_old) == {"Old": ("DELETE_IN_PROGRESS", "shared-id"), "New": ("CREATE_COMPLETE", "shared-id")}
    listed = api.client("cloudformation").list_stack_resources(StackName="s1")["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["ResourceStatus"]) for r in listed] == [("New", "CREATE_COMPLETE")]


def test_cleanup_of_a_replaced_resource_lists_only_its_replacement(api: ApiHarness) -> None:
    api.driver.create_stack("s1", {"Resources": {"C": api.echo(Value="1")}})

    result = api.driver.update_stack("s1", {"Resources": {"C": api.echo(Value="2", Replace="true")}})

    assert result.status == "UPDATE_COMPLETE"
    delete_old = api.seen("Delete", "C", physical="echo-C-1")
    assert statuses(delete_old) == ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    assert rows(delete_old) == {"C": ("UPDATE_COMPLETE", "echo-C-2")}


def test_a_nested_stack_deleted_in_its_parents_create_rollback(api: ApiHarness) -> None:
    parent = {"Resources": {"Child": api.nested("child.json", {"Resources": {"R": api.echo(Value="r")}}),
                            "Failing": api.echo(("Child",), Value="f", Behaviour="fail")}}

    result = api.driver.create_stack("p", parent, template_dir=api.tmp_path)

    assert result.status == "ROLLBACK_COMPLETE"
    delete_r = api.seen("Delete", "R")
    child, parent_stack = delete_r["stacks"]
    assert [child["status"], parent_stack["status"]] == ["DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"]
    assert child["parent"] == child["root"] == parent_stack["id"] == result.stack.stack_id
    assert rows(delete_r, "parent_resources")["Child"] == ("DELETE_IN_PROGRESS", child["id"])
    assert api.client("cloudformation").describe_stacks(StackName=child["id"])["Stacks"][0]["StackStatus"] == \
        "DELETE_COMPLETE"


def test_a_nested_stack_that_fails_rolls_back_then_its_parent_deletes_it(api: ApiHarness) -> None:
    child = {"Resources": {"R": api.echo(Value="r"), "Bad": api.echo(("R",), Value="b", Behaviour="fail")}}

    result = api.driver.create_stack("p", {"Resources": {"Child": api.nested("child.json", child)}},
                                     template_dir=api.tmp_path)

    assert result.status == "ROLLBACK_COMPLETE"
    delete_r = api.seen("Delete", "R")
    assert statuses(delete_r) == ["ROLLBACK_IN_PROGRESS", "CREATE_IN_PROGRESS"]
    child_events = [e.status for e in result.events if e.logical_id == "Child"]
    assert child_events == ["CREATE_IN_PROGRESS", "CREATE_FAILED", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    child_id = delete_r["stacks"][0]["id"]
    assert api.client("cloudformation").describe_stacks(StackName=child_id)["Stacks"][0]["StackStatus"] == \
        "DELETE_COMPLETE"
    assert api.driver.stack("p-Child") is None


def test_a_nested_stack_created_in_a_failed_update_is_deleted_in_the_rollback_cleanup(api: ApiHarness) -> None:
    api.driver.create_stack("p", {"Resources": {"A": api.echo(Value="a")}})
    child = api.nested("child.json", {"Resources": {"R": api.echo(Value="r")}})

    result = api.driver.update_stack("p", {"Resources": {"A": api.echo(Value="a"), "Child": child,
                                                         "Failing": api.echo(("Child",), Behaviour="fail")}},
                                     template_dir=api.tmp_path)

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    delete_r = api.seen("Delete", "R")
    assert statuses(delete_r) == ["DELETE_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"]
    assert rows(delete_r, "parent_resources")["Child"][0] == "DELETE_IN_PROGRESS"


def test_an_updated_nested_stack_rolls_back_itself_when_its_parent_fails(api: ApiHarness) -> None:
    before = {"Resources": {"R": api.echo(Value="a")}}
    after = {"Resources": {"R": api.echo(Value="b"), "N": api.echo(Value="n")}}
    api.driver.create_stack("p", {"Resources": {"Child": api.nested("v1.json", before)}}, template_dir=api.tmp_path)

    result = api.driver.update_stack("p", {"Resources": {
        "Child": api.nested("v2.json", after), "Failing": api.echo(("Child",), Value="f", Behaviour="fail")}},
        template_dir=api.tmp_path)

    assert result.status == "UPDATE_ROLLBACK_COMPLETE"
    assert statuses(api.seen("Update", "R", value="b")) == ["UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"]
    assert api.seen("Create", "Failing")["nested"] == {"Child": "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}
    assert statuses(api.seen("Update", "R", value="a")) == ["UPDATE_ROLLBACK_IN_PROGRESS",
                                                            "UPDATE_ROLLBACK_IN_PROGRESS"]
    delete_n = api.seen("Delete", "N")
    assert statuses(delete_n) == ["UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"]
    assert rows(delete_n, "parent_resources")["Child"][0] == "UPDATE_IN_PROGRESS"
    assert rows(delete_n)["R"] == ("UPDATE_COMPLETE", "echo-R-a")
    assert api.seen("Delete", "Failing")["nested"] == {"Child": "UPDATE_ROLLBACK_COMPLETE"}
    child = api.driver.stack("p-Child")
    assert child is not None
    assert (child.status, sorted(child.resources)) == ("UPDATE_ROLLBACK_COMPLETE", ["R"])
    assert child.resources["R"].properties["Value"] == "a"


def test_an_updated_nested_stack_cleans_up_with_its_parent(api: ApiHarness) -> None:
    api.driver.create_stack("p", {"Resources": {"Child": api.nested("v1.json", {"Resources": {
        "R": api.echo(Value="r"), "Gone": api.echo(Value="g")}})}}, template_dir=api.tmp_path)

    result = api.driver.update_stack("p", {"Resources": {
        "Child": api.nested("v2.json", {"Resources": {"R": api.echo(Value="r2")}}),
        "After": api.echo(("Child",), Value="x")}}, template_dir=api.tmp_path)

    assert result.status == "UPDATE_COMPLETE"
    assert api.seen("Create", "After")["nested"] == {"Child": "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}
    delete_gone = api.seen("Delete", "Gone")
    assert statuses(delete_gone) == ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    child = api.client("cloudformation").describe_stacks(StackName="p-Child")["Stacks"][0]
    assert child["StackStatus"] == "UPDATE_COMPLETE"
    listed = api.client("cloudformation").list_stack_resources(StackName="p-Child")["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["ResourceStatus"]) for r in listed] == [("R", "UPDATE_COMPLETE")]


def test_a_stack_removed_by_deploy_after_rollback_stays_described_by_its_id(api: ApiHarness) -> None:
    failed = api.driver.deploy("s1", {"Resources": {"A": api.echo(Value="a", Behaviour="fail")}})

    again = api.driver.deploy("s1", {"Resources": {"A": api.echo(Value="a")}})

    cfn = api.client("cloudformation")
    assert cfn.describe_stacks(StackName=failed.stack.stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert cfn.describe_stacks(StackName="s1")["Stacks"][0]["StackId"] == again.stack.stack_id != failed.stack.stack_id


def test_a_state_file_from_before_the_read_api_is_described(api: ApiHarness) -> None:
    api.driver.create_stack("s1", {"Resources": {"A": api.echo(Value="a")}})
    path = api.tmp_path / "stacks" / "s1.stack.json"
    raw = json.loads(path.read_text())
    for key in ("created_at", "updated_at", "parent_id", "root_id"):
        del raw[key]
    for resource in raw["resources"].values():
        del resource["status"], resource["updated_at"]
    path.write_text(json.dumps(raw))

    stack = api.client("cloudformation").describe_stacks(StackName="s1")["Stacks"][0]
    listed = api.client("cloudformation").list_stack_resources(StackName="s1")["StackResourceSummaries"]

    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["CreationTime"].year >= 2024  # the file's time stands in for the missing one
    assert [(r["LogicalResourceId"], r["ResourceStatus"]) for r in listed] == [("A", "CREATE_COMPLETE")]
    assert api.driver.delete_stack("s1").status == "DELETE_COMPLETE"


def test_describe_stacks_without_a_name_lists_every_stack_not_deleted(api: ApiHarness) -> None:
    api.driver.create_stack("one", {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    api.driver.create_stack("two", {"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})
    api.driver.delete_stack("one")

    stacks = api.client("cloudformation").describe_stacks()["Stacks"]

    assert [s["StackName"] for s in stacks] == ["two"]


def test_a_request_signed_with_a_wrong_secret_or_an_unknown_key_is_refused(api: ApiHarness) -> None:
    import boto3

    def signed_by(key: str, secret: str) -> object:
        return boto3.client("cloudformation", region_name="us-east-1", endpoint_url=api.driver.endpoint_url,
                            verify=str(api.ca.bundle_path), aws_access_key_id=key, aws_secret_access_key=secret)

    for client, code in ((signed_by("AKIATEST", "not-the-secret"), "SignatureDoesNotMatch"),
                         (signed_by("AKIAUNKNOWN", "whatever"), "InvalidClientTokenId")):
        with pytest.raises(ClientError) as refused:
            client.describe_stacks(StackName="users")  # type: ignore[attr-defined]
        assert refused.value.response["Error"]["Code"] == code
