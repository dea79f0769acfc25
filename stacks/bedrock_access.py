"""Least-privilege IAM for invoking Amazon Bedrock models, in the form AWS documents.

The article grants ``bedrock:*`` on ``*``. A function that streams answers needs only
``bedrock:InvokeModel`` and ``bedrock:InvokeModelWithResponseStream`` (Converse and
ConverseStream are authorized by these same two actions, per the Bedrock API reference) on:

- a foundation model called directly: ``arn:<partition>:bedrock:<region>::foundation-model/<id>``;
- an inference profile, either system-defined for cross-Region inference (geographic ``us.``,
  ``eu.``, ``apac.`` ... or ``global.``) or an application inference profile: the profile's ARN,
  plus the foundation model it routes to, **in any Region, allowed only through that profile**
  (condition ``bedrock:InferenceProfileArn``). That is the pattern of the Bedrock user guide,
  "Prerequisites for inference profiles"
  (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html): the
  model "in each Region associated with" the profile, restricted with the condition key, and for
  a global profile also the Region-less form ``arn:<partition>:bedrock:::foundation-model/<id>``.
  Destination Regions change over time and differ per profile, so a fixed Region list would
  fail with AccessDenied whenever Bedrock routes elsewhere; the condition keeps the wildcard from
  reaching the model any other way.

This module builds those statements; it does not attach them (StreamingPythonFunction does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack, Token
from aws_cdk import aws_iam as iam

#: The only actions granted: inference, buffered and streamed (Converse/ConverseStream included).
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
#: The condition key that ties a foundation model to the profile it is reached through.
PROFILE_CONDITION_KEY = "bedrock:InferenceProfileArn"
#: Prefixes of system-defined cross-Region inference profile ids (Bedrock model cards).
GEOGRAPHIES = ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "in", "global")


def is_inference_profile_id(model_id: str) -> bool:
    """True for a system-defined inference profile id such as ``us.anthropic.claude-...``."""
    return model_id.split(".", 1)[0] in GEOGRAPHIES and model_id.count(".") >= 2


@dataclass(frozen=True, slots=True)
class InferenceProfile:
    """A system-defined cross-Region inference profile, e.g. ``us.anthropic.claude-...``.

    By default the foundation model is allowed in any Region, through this profile only (AWS's
    documented pattern). ``destination_regions`` narrows that to the Regions you list, at the
    risk of AccessDenied when Bedrock adds a destination; not allowed for ``global.`` profiles.

    Example::

        InferenceProfile("eu.anthropic.claude-haiku-4-5-20251001-v1:0")
    """

    profile_id: str
    destination_regions: tuple[str, ...] = ()

    @classmethod
    def of(cls, value: str | InferenceProfile) -> InferenceProfile:
        """Accept a profile or its id; check both."""
        profile = value if isinstance(value, InferenceProfile) else cls(value)
        _check_id(profile.profile_id, "inference_profiles")
        if not is_inference_profile_id(profile.profile_id):
            raise ValueError(
                f"{profile.profile_id!r} is not a cross-Region inference profile id (those start "
                f"with one of {', '.join(g + '.' for g in GEOGRAPHIES)}): pass a foundation model "
                "in models=, an application profile as ApplicationInferenceProfile(...)."
            )
        if profile.is_global and profile.destination_regions:
            raise ValueError(
                f"{profile.profile_id!r} is a global profile: it may route to any commercial "
                "Region, so destination_regions cannot narrow it; drop destination_regions."
            )
        for region in profile.destination_regions:
            _check_region(region, profile.profile_id)
        return profile

    @property
    def is_global(self) -> bool:
        """Whether this is a global profile (routes to any commercial Region)."""
        return self.profile_id.startswith("global.")

    @property
    def model_id(self) -> str:
        """The foundation model the profile routes to (the id without its geography)."""
        return self.profile_id.split(".", 1)[1]


@dataclass(frozen=True, slots=True)
class ApplicationInferenceProfile:
    """An application inference profile (yours, for cost tracking) and the model it copies.

    ``profile_arn`` may be a token, e.g. the ``attr_inference_profile_arn`` of a
    ``CfnApplicationInferenceProfile``.
    ``model_id`` is the foundation model id (without a ``us.``-style prefix), which IAM needs in
    addition to the profile.

    Example::

        ApplicationInferenceProfile(
            "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123",
            model_id="anthropic.claude-haiku-4-5-20251001-v1:0",
        )
    """

    profile_arn: str
    model_id: str
    destination_regions: tuple[str, ...] = ()

    def check(self) -> None:
        """Raise with the fix if a field cannot be right."""
        if not isinstance(self.profile_arn, str) or not self.profile_arn:
            raise ValueError("ApplicationInferenceProfile needs the profile's ARN.")
        if not Token.is_unresolved(self.profile_arn) and (
            not self.profile_arn.startswith("arn:")
            or ":application-inference-profile/" not in self.profile_arn
        ):
            raise ValueError(
                f"{self.profile_arn!r} is not an application inference profile ARN "
                "(arn:<partition>:bedrock:<region>:<account>:application-inference-profile/<id>); "
                "a system-defined profile id goes in inference_profiles= as a string."
            )
        _check_id(self.model_id, "ApplicationInferenceProfile.model_id")
        if is_inference_profile_id(self.model_id):
            raise ValueError(
                f"ApplicationInferenceProfile.model_id={self.model_id!r}: pass the foundation "
                f"model id ({self.model_id.split('.', 1)[1]!r}), not a profile id."
            )
        for region in self.destination_regions:
            _check_region(region, self.profile_arn)


AnyProfile = str | InferenceProfile | ApplicationInferenceProfile


def invoke_statements(
    stack: Stack,
    *,
    models: Sequence[str],
    inference_profiles: Sequence[AnyProfile],
    region: str,
    sid_suffix: str = "",
) -> list[iam.PolicyStatement]:
    """The statements allowing INVOKE_ACTIONS on exactly these models and profiles.

    One statement for the foundation models called directly in ``region``, one for the
    profiles, and one per profile for its foundation model, conditioned on that profile.
    """
    for model_id in models:
        _check_id(model_id, "models")
        if is_inference_profile_id(model_id):
            raise ValueError(
                f"{model_id!r} is an inference profile id: pass it in inference_profiles=."
            )
    if not models and not inference_profiles:
        raise ValueError(
            "grant_bedrock_invoke needs at least one of models= or inference_profiles=."
        )
    statements: list[iam.PolicyStatement] = []
    if models:
        statements.append(
            _allow(
                f"InvokeFoundationModels{sid_suffix}",
                _unique(_foundation_model(stack, region, model_id) for model_id in models),
            )
        )
    profiles: list[tuple[str, str, list[str]]] = []  # (arn, model id, model resources)
    for value in inference_profiles:
        if isinstance(value, ApplicationInferenceProfile):
            value.check()
            model_regions = list(value.destination_regions) or ["*"]
            profiles.append(
                (
                    value.profile_arn,
                    value.model_id,
                    [_foundation_model(stack, r, value.model_id) for r in model_regions],
                )
            )
            continue
        profile = InferenceProfile.of(value)
        model_regions = list(profile.destination_regions) or ["*"]
        if profile.is_global:
            model_regions.append("")  # the Region-less ARN global routing is authorized against
        arn = stack.format_arn(
            service="bedrock",
            region=region,
            resource="inference-profile",
            resource_name=profile.profile_id,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        resources = [_foundation_model(stack, r, profile.model_id) for r in model_regions]
        profiles.append((arn, profile.model_id, resources))
    if profiles:
        statements.append(
            _allow(f"InvokeInferenceProfiles{sid_suffix}", _unique(arn for arn, _, _ in profiles))
        )
    for index, (arn, _, resources) in enumerate(profiles, start=1):
        statement = _allow(f"ModelThroughProfile{index}{sid_suffix}", _unique(resources))
        statement.add_condition("StringLike", {PROFILE_CONDITION_KEY: arn})
        statements.append(statement)
    return statements


def wildcard_model_resources(statements: Sequence[iam.PolicyStatement]) -> list[str]:
    """The foundation-model resources with a Region wildcard among ``statements``."""
    found: list[str] = []
    for statement in statements:
        for resource in statement.resources:
            if ":bedrock:*::foundation-model/" in resource:
                found.append(resource)
    return found


def _allow(sid: str, resources: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=list(INVOKE_ACTIONS), resources=resources)


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
            f"'anthropic.claude-haiku-4-5-20251001-v1:0'), not the ARN {model_id!r}; an "
            "application inference profile goes in as ApplicationInferenceProfile(arn, ...)."
        )


def _check_region(region: object, what: str) -> None:
    if not isinstance(region, str) or not region or "*" in region or region.count("-") < 2:
        raise ValueError(
            f"destination_regions of {what!r}: {region!r} is not a Region name such as 'us-west-2'."
        )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
