"""Least-privilege IAM for invoking Amazon Bedrock models: exact ARNs, the two invoke actions.

The article grants ``bedrock:*`` on ``*``. A function that streams answers needs only
``bedrock:InvokeModel`` and ``bedrock:InvokeModelWithResponseStream`` (Converse and
ConverseStream are authorized by these same two actions, per the Bedrock API reference) on:

- a foundation model: ``arn:<partition>:bedrock:<region>::foundation-model/<model id>``;
- a cross-region inference profile ``us.<model id>``: the profile
  ``arn:<partition>:bedrock:<region>:<account>:inference-profile/us.<model id>`` **and** the
  foundation model in every Region the profile routes to (Bedrock user guide, "Prerequisites
  for inference profiles" and "Geographic cross-Region inference";
  ../shared/docs/cdk-packaging.md §2.6).

This module builds those statements; it does not attach them (StreamingPythonFunction does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

#: The only actions granted: inference, buffered and streamed (Converse/ConverseStream included).
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")

#: Regions the geographic profiles route to, where known. A profile of another geography
#: needs its regions spelled out: `aws bedrock get-inference-profile` lists them.
KNOWN_DESTINATIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
}
_GEOGRAPHIES = ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "global")


def is_inference_profile_id(model_id: str) -> bool:
    """True for a system-defined inference profile id such as ``us.anthropic.claude-...``."""
    return model_id.split(".", 1)[0] in _GEOGRAPHIES and model_id.count(".") >= 2


@dataclass(frozen=True, slots=True)
class InferenceProfile:
    """A cross-region inference profile and the Regions it routes requests to.

    Example::

        InferenceProfile("eu.anthropic.claude-3-haiku-20240307-v1:0",
                         destination_regions=("eu-central-1", "eu-west-1", "eu-west-3"))
    """

    profile_id: str
    destination_regions: tuple[str, ...]

    @classmethod
    def of(cls, value: str | InferenceProfile) -> InferenceProfile:
        """Accept a profile or a bare id whose geography's Regions are known (``us.``)."""
        profile_id = value.profile_id if isinstance(value, InferenceProfile) else value
        _check_id(profile_id, "inference_profiles")
        if not is_inference_profile_id(profile_id):
            raise ValueError(
                f"{profile_id!r} is a foundation model id, not an inference profile id: pass it "
                "in models=."
            )
        if profile_id.startswith("global."):
            raise ValueError(
                f"{profile_id!r}: global inference profiles are not supported by "
                "grant_bedrock_invoke (their foundation-model resource form is not confirmed "
                "here); add that statement with function.add_to_role_policy(...)."
            )
        if isinstance(value, InferenceProfile):
            profile = value
        else:
            geography = value.split(".", 1)[0]
            if geography not in KNOWN_DESTINATIONS:
                raise ValueError(
                    f"inference profile {value!r}: the Regions it routes to are not known here, "
                    "and IAM needs the foundation model in each of them. Pass "
                    f"InferenceProfile({value!r}, destination_regions=(...)) with the Regions "
                    f"that `aws bedrock get-inference-profile --inference-profile-identifier "
                    f"{value}` lists."
                )
            profile = cls(value, KNOWN_DESTINATIONS[geography])
        if not profile.destination_regions:
            raise ValueError(
                f"inference profile {profile.profile_id!r} needs at least one destination Region."
            )
        return profile

    @property
    def model_id(self) -> str:
        """The foundation model the profile routes to (the id without its geography)."""
        return self.profile_id.split(".", 1)[1]


def invoke_statement(
    stack: Stack,
    *,
    models: Sequence[str],
    inference_profiles: Sequence[str | InferenceProfile],
    region: str,
) -> iam.PolicyStatement:
    """One statement allowing INVOKE_ACTIONS on exactly the given models and profiles."""
    for model_id in models:
        _check_id(model_id, "models")
        if is_inference_profile_id(model_id):
            raise ValueError(
                f"{model_id!r} is an inference profile id: pass it in "
                "inference_profiles= (it also needs its destination Regions)."
            )
    profiles = [InferenceProfile.of(value) for value in inference_profiles]
    if not models and not profiles:
        raise ValueError(
            "grant_bedrock_invoke needs at least one of models= or inference_profiles=."
        )
    resources = [_foundation_model(stack, region, model_id) for model_id in models]
    for profile in profiles:
        resources.append(
            stack.format_arn(
                service="bedrock",
                region=region,
                resource="inference-profile",
                resource_name=profile.profile_id,
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
        )
        resources += [
            _foundation_model(stack, destination, profile.model_id)
            for destination in profile.destination_regions
        ]
    return iam.PolicyStatement(
        sid="InvokeBedrockModels",
        actions=list(INVOKE_ACTIONS),
        resources=_unique(resources),
    )


def _foundation_model(stack: Stack, region: str, model_id: str) -> str:
    # Foundation models belong to no account: the ARN's account field is empty.
    return stack.format_arn(
        service="bedrock",
        region=region,
        account="",
        resource="foundation-model",
        resource_name=model_id,
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def _check_id(model_id: object, argument: str) -> None:
    if not isinstance(model_id, str) or not model_id.strip():
        raise ValueError(f"{argument} must hold non-empty model ids, got {model_id!r}.")
    if "*" in model_id or "?" in model_id:
        raise ValueError(
            f"{argument}: {model_id!r} has a wildcard; grant exact model ids "
            "(least privilege: a wildcard lets the function run any model)."
        )
    if model_id.startswith("arn:"):
        raise ValueError(
            f"{argument}: pass the model id (e.g. "
            f"'anthropic.claude-3-haiku-20240307-v1:0'), not the ARN {model_id!r}."
        )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
