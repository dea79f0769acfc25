"""grant_bedrock_invoke: exactly the models asked for, cross-region profiles whole, no wildcards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks import InferenceProfile, StreamingPythonFunction
from stacks.bedrock_access import INVOKE_ACTIONS, is_inference_profile_id
from tests.infra.cfn import flatten, policy_statements
from tests.infra.conftest import HELLO

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_35 = "anthropic.claude-3-5-haiku-20241022-v1:0"
FM = "arn:${AWS::Partition}:bedrock:%s::foundation-model/%s"
PROFILE = "arn:${AWS::Partition}:bedrock:%s:${AWS::AccountId}:inference-profile/%s"


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
    function(stack).grant_bedrock_invoke(models=[HAIKU])
    assert bedrock_statements(stack) == [
        {
            "Action": list(INVOKE_ACTIONS),
            "Effect": "Allow",
            "Resource": FM % ("us-east-1", HAIKU),
            "Sid": "InvokeBedrockModels",
        }
    ]


def test_a_us_profile_grants_the_profile_and_the_model_in_each_destination(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    function(stack).grant_bedrock_invoke(
        models=[HAIKU], inference_profiles=[f"us.{HAIKU_35}"], region="us-east-2"
    )
    (statement,) = bedrock_statements(stack)
    assert statement["Resource"] == [
        FM % ("us-east-2", HAIKU),
        PROFILE % ("us-east-2", f"us.{HAIKU_35}"),
        FM % ("us-east-1", HAIKU_35),
        FM % ("us-east-2", HAIKU_35),
        FM % ("us-west-2", HAIKU_35),
    ]


def test_other_geographies_take_explicit_regions(fresh_stack: Callable[..., cdk.Stack]) -> None:
    stack = fresh_stack()
    profile = InferenceProfile(f"eu.{HAIKU}", destination_regions=("eu-central-1", "eu-west-1"))
    function(stack).grant_bedrock_invoke(inference_profiles=[profile], region="eu-central-1")
    (statement,) = bedrock_statements(stack)
    assert statement["Resource"] == [
        PROFILE % ("eu-central-1", f"eu.{HAIKU}"),
        FM % ("eu-central-1", HAIKU),
        FM % ("eu-west-1", HAIKU),
    ]


def test_repeated_grants_add_statements_with_distinct_sids(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    fn = function(stack)
    fn.grant_bedrock_invoke(models=[HAIKU])
    fn.grant_bedrock_invoke(models=[HAIKU_35], region="us-west-2")
    statements = bedrock_statements(stack)
    assert [(s["Sid"], s["Resource"]) for s in statements] == [
        ("InvokeBedrockModels", FM % ("us-east-1", HAIKU)),
        ("InvokeBedrockModels2", FM % ("us-west-2", HAIKU_35)),
    ]


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        ({}, "needs at least one of models= or inference_profiles="),
        ({"models": ["anthropic.*"]}, "has a wildcard; grant exact model ids"),
        ({"models": ["*"]}, "has a wildcard"),
        ({"models": [f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"]}, "not the ARN"),
        ({"models": [f"us.{HAIKU}"]}, "is an inference profile id: pass it in inference_profiles"),
        ({"inference_profiles": [HAIKU]}, "is a foundation model id"),
        ({"inference_profiles": [f"apac.{HAIKU}"]}, r"destination_regions=\(\.\.\.\)"),
        (
            {"inference_profiles": [InferenceProfile(f"global.{HAIKU}", ("us-east-1",))]},
            "global inference profiles are not supported",
        ),
        ({"inference_profiles": [InferenceProfile(f"eu.{HAIKU}", ())]}, "at least one"),
        ({"inference_profiles": [f"global.{HAIKU}"]}, "global inference profiles"),
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
        ("amazon.nova-lite-v1:0", False),
        ("meta.llama3-1-8b-instruct-v1:0", False),
        (f"us.{HAIKU}", True),
        ("eu.amazon.nova-lite-v1:0", True),
        ("apac.anthropic.claude-3-5-sonnet-20240620-v1:0", True),
    ],
)
def test_profile_ids_are_told_from_model_ids(model_id: str, is_profile: bool) -> None:
    assert is_inference_profile_id(model_id) is is_profile


def test_statement_resolves_to_plain_strings_in_a_concrete_region(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    stack = fresh_stack()
    statement = function(stack).grant_bedrock_invoke(models=[HAIKU], region="ap-northeast-1")
    assert flatten(stack.resolve(statement.to_statement_json()))["Resource"] == (
        FM % ("ap-northeast-1", HAIKU)
    )
