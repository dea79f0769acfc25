"""The function's execution role: least privilege by default, widened only by what is asked.

A new role may write the function's log group and nothing else; ``vpc=`` adds AWS's managed
policy for the network interfaces Lambda creates, with the cdk-nag acknowledgment that says why.
Everything else (Bedrock, a bucket) is granted explicitly.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

_VPC_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"


def execution_role(
    scope: Construct, role: iam.IRole | None, log_group: logs.ILogGroup, *, in_vpc: bool
) -> iam.IRole:
    """``role`` (or a new one) allowed to write ``log_group`` and, ``in_vpc``, to attach."""
    role = role or iam.Role(
        scope,
        "Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="Streaming Python function: writes its own log group, nothing else "
        "unless granted",
    )
    log_group.grant_write(role)
    if in_vpc:
        _allow_network_interfaces(role)
    return role


def _allow_network_interfaces(role: iam.IRole) -> None:
    """Lambda creates ENIs in the VPC with the role: AWS's managed policy for exactly that."""
    policy = iam.ManagedPolicy.from_aws_managed_policy_name(_VPC_POLICY)
    role.add_managed_policy(policy)
    Validations.of(role).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:"
            f"policy/{_VPC_POLICY}]",
            reason="vpc= given: Lambda needs ec2:CreateNetworkInterface & co. to attach "
            "the function to the VPC, which AWS's managed policy grants and keeps current.",
        )
    )
