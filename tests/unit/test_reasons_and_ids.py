"""Failure reasons, client tokens, placeholders and the time budget."""

from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

from lambda_handler.deadline import Deadline
from lambda_handler.errors import DeadlineError, ProviderError, api_error
from lambda_handler.ids import RequestIdentity, is_placeholder
from lambda_handler.reasons import render_reason, scrub

REQUEST = RequestIdentity("arn:aws:cloudformation:us-east-1:1:stack/s/1", "Ada", "req-1")


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "user ada@example.com said no"}}, "CreateUser")


def test_api_errors_name_the_operation_the_code_and_the_fix_without_the_api_message() -> None:
    message = str(api_error("CreateUser", client_error("AccessDeniedException")))

    assert message.startswith("CreateUser failed with AccessDeniedException: register the provider role")
    assert "ada@example.com" not in message


def test_connection_errors_point_at_the_endpoint() -> None:
    error = api_error("GetUser", EndpointConnectionError(endpoint_url="https://finspace-api.example"))

    assert "could not reach the FinSpace endpoint" in str(error)


def test_unknown_api_error_code_still_renders() -> None:
    assert str(api_error("GetUser", client_error("BrandNewException"))).startswith("GetUser failed with BrandNew")


def test_reason_keeps_the_beginning_and_stays_under_256_characters() -> None:
    reason = render_reason(ProviderError("EmailAddress " + "x" * 400), "req-1")

    assert len(reason) < 256
    assert reason.startswith("EmailAddress")


def test_reason_scrubs_emails_and_declared_personal_values() -> None:
    reason = render_reason(ProviderError("Lovelace and ada@example.com failed"), "req-1", ["Lovelace"])

    assert reason == "<redacted> and <email> failed"


def test_unexpected_errors_never_show_their_message() -> None:
    reason = render_reason(TypeError("value ada@example.com is bad"), "req-9")

    assert reason == "Internal error (TypeError) in the FinSpace user provider; see its logs for request req-9"


def test_scrub_leaves_ordinary_text() -> None:
    assert scrub("CreateUser failed with ThrottlingException") == "CreateUser failed with ThrottlingException"


def test_client_tokens_repeat_for_a_request_and_differ_between_requests_and_steps() -> None:
    other = RequestIdentity(REQUEST.stack_id, REQUEST.logical_id, "req-2")

    assert REQUEST.client_token("create") == REQUEST.client_token("create")
    assert REQUEST.client_token("create") != other.client_token("create")
    assert REQUEST.client_token("create") != REQUEST.client_token("update")
    assert len(REQUEST.client_token("create")) <= 128


def test_placeholders_can_never_be_user_ids() -> None:
    placeholder = REQUEST.placeholder_id()

    assert is_placeholder(placeholder)
    assert is_placeholder("s_Ada_ABCDEFGH-and-more-than-26-chars")  # crhelper's own random ids
    assert is_placeholder("")
    assert not is_placeholder("k5ajqz2gbavb6qkvfobesh")


def test_deadline_keeps_a_margin_and_raises_when_spent() -> None:
    remaining = [100.0]
    deadline = Deadline(lambda: remaining[0])

    assert 0 < deadline.left() < 100
    remaining[0] = 1.0
    try:
        deadline.check("calling GetUser")
        raised = ""
    except DeadlineError as error:
        raised = str(error)
    assert raised.startswith("Stopped before the Lambda timeout while calling GetUser")
