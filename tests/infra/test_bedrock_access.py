"""grant_bedrock_invoke: exactly the models asked for, inference profiles in AWS's documented
form (the profile, plus its foundation model in any Region only through that profile), no
wildcards a caller asked for, and cdk-nag acknowledgments scoped to exactly those resources.

The expected statements follow the Bedrock user guide, "Prerequisites for inference profiles"
(https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html): statement
one allows the profile; statement two allows the foundation model ARNs with the condition
``StringLike bedrock:InferenceProfileArn = <profile ARN>``; a global profile adds the Region-less
foundation-model ARN.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from stacks import ApplicationInferenceProfile, InferenceProfile, StreamingPythonFunction
from stacks.bedrock_access import INVOKE_ACTIONS, is_inference_profile_id
from tests.infra.cfn import flatten, policy_statements
from tests.infra.conftest import HELLO, app, stack

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA = "amazon.nova-lite-v1:0"
FM = "arn:${AWS::Partition}:bedrock:%s::foundation-model/%s"
PROFILE = "arn:${AWS::Partition}:bedrock:%s:${AWS::AccountId}:inference-profile/%s"
ACTIONS = list(INVOKE_ACTIONS)
APP_PROFILE = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123"


def bedrock_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    template = Template.from_stack(stack).to_json()
    return [
        {k: v for k, v in s.items() if k != "Policy"}
        for s in policy_statements(template)
        if str(s["Action"]).count("bedrock:")
    ]


def function(stack: cdk.Stack) -> StreamingPythonFunction:
    return StreamingPythonFunction(stack, "Fn", entry=HELLO, handler="app.handler")


def test_a_foundation_model_in_the_stack_region(fresh_stack: Callable[..., cdk.Stack]) -> None:
    stack = fresh_stack()
    function(stack).grant_bedrock_invoke(models=[NOVA])
    assert bedrock_statements(stack) == [
        {
            "Action": ACTIONS,
            "Effect": "Allow",
            "Resource": FM % ("us-east-1", NOVA),
            "Sid": "InvokeFoundationModels",
        }
    ]


def test_a_geographic_profile_grants_the_model_anywhere_only_through_it(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    function(stack).grant_bedrock_invoke(inference_profiles=[f"us.{HAIKU}"], region="us-east-2")
    profile = PROFILE % ("us-east-2", f"us.{HAIKU}")
    assert bedrock_statements(stack) == [
        {
            "Action": ACTIONS,
            "Effect": "Allow",
            "Resource": profile,
            "Sid": "InvokeInferenceProfiles",
        },
        {
            "Action": ACTIONS,
            "Condition": {"StringLike": {"bedrock:InferenceProfileArn": profile}},
            "Effect": "Allow",
            "Resource": FM % ("*", HAIKU),
            "Sid": "ModelThroughProfile1",
        },
    ]


def test_a_global_profile_adds_the_region_less_model_arn(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    function(stack).grant_bedrock_invoke(inference_profiles=[f"global.{HAIKU}"])
    _, models = bedrock_statements(stack)
    assert models["Resource"] == [FM % ("*", HAIKU), FM % ("", HAIKU)]
    assert models["Condition"] == {
        "StringLike": {"bedrock:InferenceProfileArn": PROFILE % ("us-east-1", f"global.{HAIKU}")}
    }


def test_an_application_profile_and_explicit_destinations(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    function(stack).grant_bedrock_invoke(
        models=[NOVA],
        inference_profiles=[
            ApplicationInferenceProfile(APP_PROFILE, model_id=HAIKU),
            InferenceProfile(f"eu.{HAIKU}", destination_regions=("eu-west-1", "eu-central-1")),
        ],
    )
    direct, profiles, via_app, via_eu = bedrock_statements(stack)
    assert direct["Resource"] == FM % ("us-east-1", NOVA) and "Condition" not in direct
    assert profiles["Resource"] == [APP_PROFILE, PROFILE % ("us-east-1", f"eu.{HAIKU}")]
    assert via_app["Resource"] == FM % ("*", HAIKU)
    assert via_app["Condition"] == {"StringLike": {"bedrock:InferenceProfileArn": APP_PROFILE}}
    assert via_eu["Resource"] == [FM % ("eu-west-1", HAIKU), FM % ("eu-central-1", HAIKU)]


def test_repeated_grants_add_statements_with_distinct_sids(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    fn = function(stack)
    fn.grant_bedrock_invoke(models=[NOVA])
    fn.grant_bedrock_invoke(models=[HAIKU], region="us-west-2")
    assert [(s["Sid"], s["Resource"]) for s in bedrock_statements(stack)] == [
        ("InvokeFoundationModels", FM % ("us-east-1", NOVA)),
        ("InvokeFoundationModels2", FM % ("us-west-2", HAIKU)),
    ]


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        ({}, "needs at least one of models= or inference_profiles="),
        ({"models": ["anthropic.*"]}, "has a wildcard; grant exact model ids"),
        ({"models": ["*"]}, "has a wildcard"),
        ({"models": [f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"]}, "not the ARN"),
        ({"models": [f"us.{HAIKU}"]}, "is an inference profile id: pass it in inference_profiles"),
        ({"inference_profiles": [HAIKU]}, "is not a cross-Region inference profile id"),
        ({"inference_profiles": [f"us.{HAIKU}*"]}, "has a wildcard"),
        (
            {"inference_profiles": [InferenceProfile(f"global.{HAIKU}", ("us-east-1",))]},
            "global profile.*drop destination_regions",
        ),
        ({"inference_profiles": [InferenceProfile(f"eu.{HAIKU}", ("eu-*",))]}, "not a Region"),
        (
            {"inference_profiles": [ApplicationInferenceProfile(f"us.{HAIKU}", model_id=HAIKU)]},
            "not an application inference profile ARN",
        ),
        (
            {"inference_profiles": [ApplicationInferenceProfile(APP_PROFILE, f"us.{HAIKU}")]},
            "pass the foundation model id",
        ),
    ],
)
def test_bad_grants_fail_with_the_fix(
    fresh_stack: Callable[..., cdk.Stack], grant: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        function(fresh_stack()).grant_bedrock_invoke(**grant)


@pytest.mark.parametrize(
    ("model_id", "is_profile"),
    [
        (HAIKU, False),
        (NOVA, False),
        ("meta.llama3-1-8b-instruct-v1:0", False),
        (f"us.{HAIKU}", True),
        (f"global.{HAIKU}", True),
        ("eu.amazon.nova-lite-v1:0", True),
        ("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", True),
    ],
)
def test_profile_ids_are_told_from_model_ids(model_id: str, is_profile: bool) -> None:
    assert is_inference_profile_id(model_id) is is_profile


def test_statements_resolve_to_plain_strings_in_a_concrete_region(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    (statement,) = function(stack).grant_bedrock_invoke(models=[NOVA], region="ap-northeast-1")
    assert flatten(stack.resolve(statement.to_statement_json()))["Resource"] == (
        FM % ("ap-northeast-1", NOVA)
    )


def nag_synth(outdir: Path, extra: Callable[[StreamingPythonFunction], None]) -> None:
    target = app(outdir, bundle=False)
    fn = function(stack(target, "Nag"))
    fn.grant_bedrock_invoke(inference_profiles=[f"us.{HAIKU}"])
    extra(fn)
    cdk.Validations.of(target).add_plugins(AwsSolutionsChecks(target))
    target.synth()


def test_cdk_nag_accepts_exactly_the_profiles_model_wildcard(tmp_path: Path) -> None:
    nag_synth(tmp_path / "ok", lambda fn: None)  # raises on any unacknowledged finding


def test_cdk_nag_still_flags_a_region_wildcard_added_by_hand(tmp_path: Path) -> None:
    def add_wildcard(fn: StreamingPythonFunction) -> None:
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["bedrock:InvokeModel"],
                resources=[f"arn:aws:bedrock:*::foundation-model/{NOVA}"],
            )
        )

    with pytest.raises(RuntimeError, match=r"(?s)ValidationFailed.*AwsSolutions-IAM5"):
        nag_synth(tmp_path / "bad", add_wildcard)
