"""A function's ``BedrockInvoke`` policy: the statements of every ``grant_bedrock_invoke`` call
on one role policy, and the cdk-nag acknowledgments of exactly the wildcards they need.

The statements come from bedrock_access.py; this module attaches them and explains to cdk-nag
each ``foundation-model/*``-style resource an inference profile requires.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.bedrock_access import AnyProfile, invoke_statements, wildcard_model_resources


class BedrockInvokePolicy:
    """Creates the ``BedrockInvoke`` policy of ``role`` under ``scope`` on the first grant."""

    def __init__(self, scope: Construct, role: iam.IRole) -> None:
        self._scope, self._role = scope, role
        self._policy: iam.Policy | None = None
        self._grants = 0

    def grant(
        self,
        *,
        models: Sequence[str],
        inference_profiles: Sequence[AnyProfile],
        region: str | None,
    ) -> list[iam.PolicyStatement]:
        """Add the statements for these models and profiles; return them."""
        stack = Stack.of(self._scope)
        self._grants += 1
        statements = invoke_statements(
            stack,
            models=models,
            inference_profiles=inference_profiles,
            region=region or stack.region,
            # Statement ids are unique per policy: the second grant's end in "2", and so on.
            sid_suffix="" if self._grants == 1 else str(self._grants),
        )
        if self._policy is None:
            self._policy = iam.Policy(self._scope, "BedrockInvoke", roles=[self._role])
        self._policy.add_statements(*statements)
        for resource in wildcard_model_resources(statements):
            finding = stack.resolve(resource)
            Validations.of(self._policy).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_nag_form(finding)}]",
                    reason="A foundation model reached through an inference profile: any "
                    "Region (Bedrock picks the destination), only with the condition "
                    "bedrock:InferenceProfileArn = that profile, as the Bedrock user guide "
                    "documents for inference profiles.",
                )
            )
        return statements


def _nag_form(resolved: Any) -> str:
    """cdk-nag's spelling of a resource in a finding id (``<AWS::Partition>`` for tokens)."""
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(
            f"<{p['Ref']}>" if isinstance(p, dict) and "Ref" in p else str(p) for p in parts
        )
    return str(resolved)
