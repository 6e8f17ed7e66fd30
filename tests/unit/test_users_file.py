"""The users file: one definition, resolved defaults, and errors with file, line and key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import aws_cdk as cdk
import pytest
import yaml

from finspace_constructs import FinSpaceUser, users_file
from finspace_constructs.enums import ApiAccess, UserType
from finspace_constructs.users_app import user_id_of
from finspace_constructs.users_file import UsersFileError, load_declaration, load_users
from finspace_users.errors import EXIT_DRIFT, EXIT_ERROR
from lambda_handler.errors import PropertyError
from lambda_handler.properties import parse_properties, value_problem

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "users.yaml"
    path.write_text(text)
    return path


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(UsersFileError) as exc:
        load_users(write(tmp_path, text))
    return str(exc.value).splitlines()


def test_the_repository_users_file_loads() -> None:
    users = load_users(REPO / "users.yaml")

    assert len(users) >= 3
    assert {u.environment_id for u in users} == {"finspace-local"}


def test_defaults_apply_file_then_environment_then_user(tmp_path: Path) -> None:
    path = write(tmp_path, """
defaults: {type: APP_USER, enabled: false, removal_policy: retain}
environments:
  - id: env-a
    defaults: {enabled: true}
    users:
      - {email: a@example.com}
      - {email: b@example.com, type: SUPER_USER, enabled: false}
  - id: env-b
    users:
      - {email: a@example.com, api_access_principal_arn: "arn:aws:iam::123456789012:role/r"}
""")

    a, b, c = load_users(path)

    assert (a.environment_id, a.type, a.enabled, a.removal_policy) == ("env-a", UserType.APP_USER, True, "retain")
    assert (b.type, b.enabled) == (UserType.SUPER_USER, False)
    assert (c.environment_id, c.enabled, c.api_access) == ("env-b", False, None)
    assert c.api_access_principal_arn == "arn:aws:iam::123456789012:role/r"


def test_api_access_value_is_an_enum(tmp_path: Path) -> None:
    (user,) = load_users(write(tmp_path, "environment: e\nusers:\n  - {email: a@example.com, type: APP_USER, "
                                         "api_access: ENABLED}\n"))

    assert user.api_access is ApiAccess.ENABLED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("environment: e\nusers:\n  - email: a@example.com\n    type: APP_USER\n    colour: red\n",
         "users.yaml:5: users[0].colour: unknown key: remove it or fix its spelling"),
        ("environment: e\nusers:\n  - email: nobody\n    type: APP_USER\n",
         "users.yaml:3: users[0].email: is not a valid email address: use a name, an @ and a domain with a dot"),
        ("environment: e\nusers:\n  - email: a@example.com\n    type: ROOT\n",
         "users.yaml:4: users[0].type: must be 'SUPER_USER' or 'APP_USER'"),
        ("environment: e\nusers:\n  - email: a@example.com\n    type: APP_USER\n    enabled: maybe\n",
         "users.yaml:5: users[0].enabled: must be true or false"),
        ("environment: e\nusers:\n  - email: a@example.com\n",
         "users.yaml:3: users[0].type: is required (here or in defaults)"),
        ("environment: e\nusers:\n  - {email: a@example.com, type: APP_USER}\n"
         "  - {email: A@Example.com, type: APP_USER}\n",
         "users.yaml:4: users[1].email: duplicates the email at line 3; declare each user once per environment"),
        ("environment: e\nenvironment: f\nusers: []\n",
         "users.yaml:2: environment: is declared twice in the same mapping"),
        ("users: []\n", "users.yaml:1: (file): declare either 'environment' with 'users', or 'environments'"),
        ("environment: e\nusers:\n  - email: a@example.com\n    type: APP_USER\n    first_name: '  '\n",
         "users.yaml:5: users[0].first_name: must contain a non-blank character"),
        ("environment: e\nusers:\n  - email: a@example.com\n    type: APP_USER\n    api_access_principal_arn: bob\n",
         "users.yaml:5: users[0].api_access_principal_arn: is shorter than 20 characters"),
        ("environment: e\nusers: [\n", "users.yaml:3: not valid YAML"),
        ("- just a list\n", "users.yaml:1: the file must be a mapping with 'environment' or 'environments'"),
    ],
)
def test_each_problem_names_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    errors = errors_of(tmp_path, text)

    assert any(line.endswith(expected) or expected in line for line in errors), errors
    assert all(line.startswith(str(tmp_path)) for line in errors)


def test_every_problem_is_listed_and_no_personal_value_is_echoed(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, "environment: e\nusers:\n  - {email: jane.private, type: ROOT}\n"
                                 "  - {email: a@example.com, type: APP_USER, last_name: ''}\n")

    assert len(errors) == 3
    assert not any("jane.private" in line for line in errors)


def test_schema_and_readme_reference_are_generated_from_the_models() -> None:
    check = subprocess.run([sys.executable, "scripts/users_reference.py", "--check"], cwd=REPO,
                           capture_output=True, text=True, check=False)

    assert check.returncode == 0, check.stderr


GROUPS = """\
environment: e
permission_groups:
  - {name: analysts, application_permissions: [AccessNotebooks]}
  - {name: engineers, application_permissions: [CreateDataset], description: Data engineering}
defaults: {type: APP_USER, permission_groups: [analysts]}
users:
  - {email: a@example.com}
  - {email: b@example.com, permission_groups: [analysts, engineers]}
  - {email: c@example.com, type: SUPER_USER, permission_groups: []}
"""


def test_groups_are_declared_once_and_referenced_by_name(tmp_path: Path) -> None:
    declaration = load_declaration(write(tmp_path, GROUPS))

    assert [(g.name, g.description) for g in declaration.groups] == [("analysts", None),
                                                                     ("engineers", "Data engineering")]
    assert [u.permission_groups for u in declaration.users] == [("analysts",), ("analysts", "engineers"), ()]


def test_unknown_group_names_are_errors_with_the_line(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, GROUPS.replace("[analysts, engineers]", "[analysts, enginers]"))

    assert errors == [f"{tmp_path / 'users.yaml'}:8: users[1].permission_groups: names group(s) not declared in "
                      "this environment's permission_groups (enginers); declare them or fix the name"]


def test_an_unknown_key_gets_a_suggestion(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, GROUPS.replace("permission_groups: [analysts, engineers]",
                                                "permision_groups: [analysts, engineers]"))

    assert len(errors) == 1
    assert errors[0].endswith("permision_groups: unknown key: did you mean permission_groups?")


def test_duplicate_groups_are_errors(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, GROUPS.replace("name: engineers", "name: analysts"))

    assert errors[0].endswith(
        "users.yaml:4: permission_groups[1].name: duplicates the group at line 3; declare it once")


def test_unknown_application_permissions_are_errors(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, GROUPS.replace("[CreateDataset]", "[Fly]"))

    assert len(errors) == 1
    assert "users.yaml:4: permission_groups[1].application_permissions[0]: must be 'CreateDataset'" in errors[0]


def test_libyaml_parses_the_file_where_pyyaml_has_it() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

    assert users_file.SAFE_LOADER is expected


LINES = """\
base: &base {type: APP_USER}
environment: e
users:
  - {<<: *base, email: a@example.com}
  - <<: *base
    email: b@example.com
    colour: red
  - email: c@example.com
    type: ROOT
"""


@pytest.mark.parametrize("loader", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)],
                         ids=["pure-python", "libyaml"])
def test_either_loader_reports_the_same_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loader: type) -> None:
    monkeypatch.setattr(users_file, "SAFE_LOADER", loader)

    problems = errors_of(tmp_path, LINES)
    syntax = errors_of(tmp_path, LINES + "  - {email: d@example.com\n")

    assert sorted(line.split("users.yaml:", 1)[1] for line in problems) == [
        "1: base: unknown key: remove it or fix its spelling",
        "7: users[1].colour: unknown key: remove it or fix its spelling",
        "9: users[2].type: must be 'SUPER_USER' or 'APP_USER'",
    ]
    assert syntax[0].split("users.yaml:", 1)[1].startswith("11: not valid YAML")


PROVIDER_ROLE = "arn:aws:iam::123456789012:role/FinSpaceUserProvider-us-east-1"
PROVIDER_FILE = f"""\
environment: e
provider_user: Robot@Example.com
permission_groups:
  - {{name: admins, application_permissions: [ManageUsersAndGroups, GetTemporaryCredentials]}}
  - {{name: analysts, application_permissions: [AccessNotebooks]}}
users:
  - email: robot@example.com
    type: SUPER_USER
    api_access_principal_arn: {PROVIDER_ROLE}
  - {{email: ada@example.com, type: APP_USER, enabled: false, permission_groups: [analysts]}}
"""


def test_provider_user_and_the_reenable_setting_are_read(tmp_path: Path) -> None:
    plain = load_declaration(write(tmp_path, PROVIDER_FILE))
    strict = load_declaration(write(tmp_path, "reenable_requires_adopt: true\n" + PROVIDER_FILE))

    assert (plain.reenable_requires_adopt, plain.provider_users) == (False, {"e": "robot@example.com"})
    assert strict.reenable_requires_adopt is True
    assert errors_of(tmp_path, "reenable_requires_adopt: sometimes\n" + PROVIDER_FILE)[0].endswith(
        "users.yaml:1: reenable_requires_adopt: must be true or false")
    assert "provider_user: is not a valid email address" in errors_of(
        tmp_path, PROVIDER_FILE.replace("provider_user: Robot@Example.com", "provider_user: robot"))[0]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # the user provider_user names (case aside)
        (("    type: SUPER_USER\n", "    type: SUPER_USER\n    enabled: false\n"),
         "users.yaml:9: users[0].enabled: is false for the provider's own user, which the provider signs in as"),
        (("    type: SUPER_USER\n", "    type: SUPER_USER\n    api_access: DISABLED\n"),
         "users.yaml:9: users[0].api_access: is DISABLED for the provider's own user, which would lose its API access"),
        ((PROVIDER_ROLE, "arn:aws:iam::123456789012:role/analytics"),
         "users.yaml:9: users[0].api_access_principal_arn: names another role than the provider's "
         "(FinSpaceUserProvider-<region>) for the provider's own user"),
        ((f"    api_access_principal_arn: {PROVIDER_ROLE}\n", ""),
         "users.yaml:7: users[0].email: is the provider's own user, declared without api_access_principal_arn"),
        (("type: SUPER_USER", "type: APP_USER"),
         "users.yaml:8: users[0].type: is APP_USER for the provider's own user, in no permission group with "
         "ManageUsersAndGroups"),
        # a group that no longer gives the provider's APP_USER the right to manage users
        (("    type: SUPER_USER\n", "    type: APP_USER\n    permission_groups: [admins]\n"),
         None),
        (("    type: SUPER_USER\n", "    type: APP_USER\n    permission_groups: [analysts]\n"),
         "users.yaml:5: permission_groups[1].application_permissions: lacks ManageUsersAndGroups, which the "
         "provider's own user (line 7), an APP_USER, needs from one of its groups"),
        # a value from the defaults is reported where it is set
        (("users:\n", "defaults: {enabled: false}\nusers:\n"),
         "users.yaml:6: defaults.enabled: is false for the provider's own user (line 8)"),
        # what keeps the provider's access is no lockout: an APP_USER above, SUPER_USER, another user disabled
        (("provider_user: Robot@Example.com\n", ""), None),
    ],
)
def test_a_declaration_that_would_lock_the_provider_out_is_refused(
    tmp_path: Path, edit: tuple[str, str], expected: str | None
) -> None:
    text = PROVIDER_FILE.replace(*edit)
    assert text != PROVIDER_FILE

    if expected is None:
        load_declaration(write(tmp_path, text))
        return
    errors = errors_of(tmp_path, text)

    assert len(errors) == 1, errors
    assert expected in errors[0]
    assert "register another user for the provider role first (README: Bootstrap)" in errors[0]
    assert "robot" not in errors[0].lower()


def test_the_provider_role_name_alone_tells_the_provider_user(tmp_path: Path) -> None:
    unnamed = PROVIDER_FILE.replace("provider_user: Robot@Example.com\n", "")
    path = write(tmp_path, unnamed.replace("    type: SUPER_USER\n", "    type: SUPER_USER\n    enabled: false\n"))
    with pytest.raises(UsersFileError, match=r"users\[0\]\.enabled: is false for the provider's own user"):
        load_declaration(path)
    # another user disabled, its principal not the provider's, is no lockout
    assert not load_declaration(write(tmp_path, unnamed)).users[1].enabled


def test_another_provider_stack_names_its_role_after_itself(tmp_path: Path) -> None:
    path = write(tmp_path, PROVIDER_FILE.replace("FinSpaceUserProvider-us-east-1", "TeamBProvider-us-east-1"))

    (robot, _ada) = load_declaration(path, provider_role_prefix="TeamBProvider-").users
    with pytest.raises(UsersFileError, match="names another role than the provider's"):
        load_declaration(path)
    assert robot.api_access_principal_arn == "arn:aws:iam::123456789012:role/TeamBProvider-us-east-1"


def test_an_environment_names_its_own_provider_user(tmp_path: Path) -> None:
    text = f"""\
provider_user: robot@example.com
environments:
  - id: a
    users:
      - {{email: robot@example.com, type: SUPER_USER, enabled: false}}
  - id: b
    provider_user: other-robot@example.com
    users:
      - {{email: robot@example.com, type: SUPER_USER, enabled: false}}
      - {{email: other-robot@example.com, type: SUPER_USER, api_access_principal_arn: {PROVIDER_ROLE}}}
"""
    errors = errors_of(tmp_path, text)

    assert [e.split("users.yaml:", 1)[1].split(":", 1)[0] for e in errors] == ["5", "5"]
    assert [e.split(": ", 2)[1] for e in errors] == ["environments[0].users[0].enabled",
                                                     "environments[0].users[0].email"]  # and no principal
    assert load_declaration(write(tmp_path, text.replace("provider_user: robot@example.com\n", "")
                                  )).provider_users == {"b": "other-robot@example.com"}


# A users file comes from a pull request and CI loads it: no file may exhaust the loader.

def laughs(levels: int) -> str:
    """A "billion laughs": each level a list of 10 aliases of the level below (7 levels: 389 bytes,
    10 million values once expanded)."""
    rows = ["environment: e", "a0: &a0 [lol]"]
    rows += [f"a{n}: &a{n} [{','.join([f'*a{n - 1}'] * 10)}]" for n in range(1, levels + 1)]
    return "\n".join([*rows, "users: []"]) + "\n"


HOSTILE = {
    "laughs-7": (laughs(7), 7, "this alias repeats 21,111 values, which takes the file past 200,000 values"),
    "laughs-8": (laughs(8), 7, "this alias repeats 21,111 values"),
    "laughs-as-users": ("environment: e\nl0: &l0 [{email: a@example.com}]\n"
                        + "".join(f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 8))
                        + "users: *l7\n", 7, "this alias repeats 41,111 values"),
    "recursive-list": ("environment: e\nusers: &u [*u]\n", 2, "this alias stands inside the value it names"),
    "recursive-mapping": ("environment: e\nusers:\n  - &u\n    email: a@example.com\n    type: APP_USER\n"
                          "    permission_groups: [*u]\n", 6, "(a recursive alias)"),
    "deep": ("environment: e\nusers: " + "[" * 100_000 + "]" * 100_000 + "\n", 2,
             "nests more than 10 levels deep here (the format needs 6)"),
    "dense": ("environment: e\nusers: []\nx: [" + ",".join(["a"] * users_file.MAX_NODES) + "]\n", 3,
              "the file passes 200,000 values (YAML nodes) here"),
    "large": ("environment: e\nusers: []\n" + "#" * (users_file.MAX_BYTES + 1), 3, "the file passes 4 MiB here"),
}

MEASURE = """
import json, sys, time
from pathlib import Path
from finspace_constructs.users_file import UsersFileError, load_declaration

def high_water_kb():
    # VmHWM: this process's own peak resident memory. getrusage's ru_maxrss is not: Linux carries the
    # peak of the process that forked it across exec (a big pytest process would count).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")

before = high_water_kb()
started = time.perf_counter()
try:
    load_declaration(Path(sys.argv[1]))
    message = "loaded"
except UsersFileError as error:
    message = str(error)
seconds = time.perf_counter() - started
after = high_water_kb()
print(json.dumps({"seconds": seconds, "peak_mb": after / 1024, "grown_mb": (after - before) / 1024,
                  "message": message}))
"""


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_refused_at_its_line_in_under_2_s_and_200_mb(tmp_path: Path, name: str) -> None:
    """Measured in a fresh process: its peak resident memory (imports included) and the load's time."""
    text, line, expected = HOSTILE[name]
    path = write(tmp_path, text)

    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)
    measured = json.loads(done.stdout)

    assert done.returncode == 0, done.stderr[-2000:]
    assert measured["message"].startswith(f"{path}:{line}: "), measured["message"][:300]
    assert expected in measured["message"]
    assert measured["seconds"] < 2, measured
    assert measured["peak_mb"] < 200, measured
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("environment: e\nusers: []\nx: " + "1" * 5000 + "\n",
         "users.yaml:3: not valid YAML (this value cannot be read as a YAML int: quote it to make it text)"),
        ("environment: e\nusers: []\nx: 2001-13-99\n", "users.yaml:3: not valid YAML (this value cannot be read as "
                                                        "a YAML timestamp"),
        ("environment: e\nusers: []\nx: !!bool maybe\n",
         "users.yaml:3: not valid YAML (this value cannot be read as a YAML bool: quote it to make it text)"),
        ("environment: e\nusers: []\nx: !!timestamp soon\n",
         "users.yaml:3: not valid YAML (this value cannot be read as a YAML timestamp: quote it to make it text)"),
        ("environment: e\nusers: []\nx: &a 1\ny: &a 2\n",
         "users.yaml:4: this anchor's name is already defined at line 3: rename one"),
        ("environment: e\nusers: []\nx: \"a\x01\"\n", "users.yaml:3: not valid YAML (character #x0001 is not allowed)"),
    ],
)
def test_a_value_yaml_cannot_make_is_an_error_at_its_line(tmp_path: Path, text: str, expected: str) -> None:
    errors = errors_of(tmp_path, text)

    assert any(line.endswith(expected) or expected in line for line in errors), errors


def test_a_file_that_is_not_utf8_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_bytes(b"environment: e\nusers: []\nx: \xff\n")

    with pytest.raises(UsersFileError, match=r"users\.yaml:3: not UTF-8 text \(byte 29 of the file\)"):
        load_users(path)


def test_anchors_within_the_limits_still_share_settings(tmp_path: Path) -> None:
    text = GROUPS.replace("[analysts, engineers]", "&both [analysts, engineers]") + (
        "  - {<<: &app {type: APP_USER}, email: d@example.com, permission_groups: *both}\n"
        "  - {<<: *app, email: e@example.com}\n")

    users = load_users(write(tmp_path, text))

    assert [u.permission_groups for u in users[-2:]] == [("analysts", "engineers"), ("analysts",)]


def test_a_file_with_many_problems_lists_the_first_ones_quickly(tmp_path: Path) -> None:
    text = "environment: e\nusers:\n" + "".join(f"  - {{email: u{n}, type: ROOT}}\n" for n in range(30_000))
    path = write(tmp_path, text)
    started = time.perf_counter()

    with pytest.raises(UsersFileError) as exc:
        load_users(path)
    lines = str(exc.value).splitlines()

    assert time.perf_counter() - started < 10  # not the 200,000 problems pydantic would build (a minute)
    assert len(lines) == users_file._LISTED + 1
    assert sorted(line.split("users.yaml:", 1)[1] for line in lines[:2]) == [
        "3: users[0].email: is shorter than 4 characters",
        "3: users[0].type: must be 'SUPER_USER' or 'APP_USER'"]
    assert lines[-1] == f"{path}: these are the first problems of the file, which may hold more: fix them and " \
                        "load it again"


def test_a_mapping_of_many_unknown_keys_lists_the_first_ones(tmp_path: Path) -> None:
    text = "environment: e\nusers: []\ndefaults: {" + ", ".join(f"k{n}: 1" for n in range(50_000)) + "}\n"

    errors = errors_of(tmp_path, text)

    assert len(errors) == users_file._LISTED + 1
    assert errors[0].endswith("users.yaml:3: defaults.k0: unknown key: remove it or fix its spelling")


@pytest.mark.parametrize("email", ["ada@example.com ", " ada@example.com", "Eve <eve@example.com>"])
def test_an_email_is_refused_alike_by_the_file_the_construct_and_the_handler(tmp_path: Path, email: str) -> None:
    """No blank is stripped anywhere, and the pattern is matched whole: what the file refuses, the
    construct and the handler refuse too, none of them showing the email."""
    text = f"environment: e\nusers:\n  - {{email: a@example.com, type: APP_USER}}\n  - email: '{email}'\n" \
           "    type: APP_USER\n"
    in_file = errors_of(tmp_path, text)
    with pytest.raises(ValueError) as in_construct:  # noqa: PT011 - the message is checked below
        FinSpaceUser(cdk.Stack(cdk.App(), "Users"), "Ada", environment_id="e", email_address=email,
                     type=UserType.APP_USER)
    with pytest.raises(PropertyError) as in_handler:
        parse_properties({"EnvironmentId": "e", "EmailAddress": email, "Type": "APP_USER"})
    problem = value_problem("EmailAddress", email)

    assert problem is not None
    assert in_file == [f"{tmp_path / 'users.yaml'}:4: users[1].email: {problem}"]
    assert f"email_address {problem}" in str(in_construct.value)
    assert f"EmailAddress {problem}" in str(in_handler.value)
    for message in (in_file[0], str(in_construct.value), str(in_handler.value)):
        assert "ada@" not in message
        assert "eve@" not in message


def test_duplicates_compare_what_the_logical_ids_use(tmp_path: Path) -> None:
    text = "environment: e\nusers:\n  - {email: Ada@Example.com, type: APP_USER}\n" \
           "  - {email: ada@example.COM, type: APP_USER}\n"
    first, second = "Ada@Example.com", "ada@example.COM"

    errors = errors_of(tmp_path, text)

    assert user_id_of("e", first) == user_id_of("e", second)
    assert errors == [f"{tmp_path / 'users.yaml'}:4: users[1].email: duplicates the email at line 3; declare each "
                      "user once per environment"]


def test_app_py_refuses_a_billion_laughs_quickly_with_its_line_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, laughs(8))
    environment = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"usersFile": str(path)}),
                   "CDK_OUTDIR": str(tmp_path / "cdk.out")}  # as the CDK CLI runs the app
    started = time.perf_counter()

    app = subprocess.run([sys.executable, "app.py"], cwd=REPO, env=environment, capture_output=True, text=True,
                         timeout=120, check=False)

    assert app.returncode == EXIT_ERROR != EXIT_DRIFT, app.stderr[-2000:]
    assert f"{path}:7: this alias repeats 21,111 values" in app.stderr
    assert "Traceback" not in app.stderr
    assert time.perf_counter() - started < 60  # the CDK's imports and jsii's start; the file itself takes ms
