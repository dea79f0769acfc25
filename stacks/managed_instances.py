"""Lambda Managed Instances for a StreamingPythonFunction: a capacity provider and its settings.

On Lambda Managed Instances (LMI) a function runs on EC2 instances in your VPC that Lambda
manages, and one execution environment serves up to ``max_concurrency`` invocations at once
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances.html). The streaming
runtime serves them on one event loop (README, "Many streams per environment"), which is where a
waiting-bound LLM stream gains most.

:class:`ManagedInstances` is the construct's ``managed_instances=`` option. Everything it can
check without AWS is checked when the construct is built, with a message that says what to fix;
the ranges are those of ``AWS::Lambda::Function LambdaManagedInstancesCapacityProviderConfig``
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-lambdamanagedinstancescapacityproviderconfig.html).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

#: PerExecutionEnvironmentMaxConcurrency, as CloudFormation allows it.
MAX_CONCURRENCY_RANGE = (1, 1600)
#: ExecutionEnvironmentMemoryGiBPerVCpu, as CloudFormation allows it.
MEMORY_PER_VCPU_RANGE = (2.0, 8.0)
#: The fewest vCPUs a capacity provider may scale to (CDK's CapacityProvider checks 12-15000).
MIN_VCPU_COUNT = 12
#: LMI supports the managed Python runtime from 3.13 on
#: (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-runtimes.html);
#: the OS-only runtime (``provided.al2023``, our default) carries its own interpreter.
MIN_MANAGED_PYTHON = (3, 13)


@dataclass(frozen=True, slots=True)
class ManagedInstances:
    """Run the function on Lambda Managed Instances.

    Example::

        StreamingPythonFunction(self, "Chat", entry="lambda_src", handler="chat.handler",
                                memory_size=2048, vpc=vpc,
                                managed_instances=ManagedInstances(max_concurrency=64))

    :param max_concurrency: invocations one execution environment serves at once
        (``AWS_LAMBDA_MAX_CONCURRENCY`` in the runtime), 1 to 1600. Default 64: a stream
        mostly waits on the model, and one event loop holds many (see docs/benchmarks.md).
    :param memory_gib_per_vcpu: GiB of memory per vCPU of each environment, 2 to 8.
    :param capacity_provider: an existing capacity provider. Default: a new one in the
        function's VPC (``vpc=`` is then required), for the function's architecture.
    :param max_vcpu_count: the most vCPUs the new capacity provider may scale to (12 or more).
    """

    max_concurrency: int = 64
    memory_gib_per_vcpu: float = 2.0
    capacity_provider: lambda_.ICapacityProvider | None = None
    max_vcpu_count: int | None = None

    def check(
        self,
        *,
        memory_size: int,
        python_version: str,
        managed_runtime: bool,
        vpc: ec2.IVpc | None,
        reserved_concurrent_executions: int | None,
        provisioned_concurrency: int | None,
    ) -> None:
        """Raise ``ValueError`` naming what to change, before anything is built."""
        low, high = MAX_CONCURRENCY_RANGE
        if not isinstance(self.max_concurrency, int) or not low <= self.max_concurrency <= high:
            raise ValueError(
                f"managed_instances.max_concurrency={self.max_concurrency!r}: use a whole "
                f"number from {low} to {high} (invocations per execution environment)."
            )
        low_gib, high_gib = MEMORY_PER_VCPU_RANGE
        if not low_gib <= self.memory_gib_per_vcpu <= high_gib:
            raise ValueError(
                f"managed_instances.memory_gib_per_vcpu={self.memory_gib_per_vcpu!r}: use "
                f"{low_gib:g} to {high_gib:g} GiB per vCPU."
            )
        one_vcpu_mb = int(self.memory_gib_per_vcpu * 1024)
        if memory_size < one_vcpu_mb:
            raise ValueError(
                f"memory_size={memory_size} MB is less than one vCPU's share "
                f"({self.memory_gib_per_vcpu:g} GiB = {one_vcpu_mb} MB) on Managed Instances: "
                f"raise memory_size to at least {one_vcpu_mb} or lower memory_gib_per_vcpu."
            )
        if managed_runtime and _version(python_version) < MIN_MANAGED_PYTHON:
            raise ValueError(
                f"python_version={python_version!r} with RuntimeMode.MANAGED: Managed Instances "
                "support the managed Python runtime from 3.13; use python_version='3.13' or the "
                "default RuntimeMode.PROVIDED."
            )
        if self.capacity_provider is None and vpc is None:
            raise ValueError(
                "managed_instances= creates a capacity provider in the function's VPC: pass "
                "vpc= (its instances need a route to Bedrock), or pass "
                "ManagedInstances(capacity_provider=...) for an existing one."
            )
        if self.max_vcpu_count is not None and self.max_vcpu_count < MIN_VCPU_COUNT:
            raise ValueError(
                f"managed_instances.max_vcpu_count={self.max_vcpu_count}: a capacity provider "
                f"scales to at least {MIN_VCPU_COUNT} vCPUs."
            )
        if self.capacity_provider is not None and self.max_vcpu_count is not None:
            raise ValueError(
                "managed_instances.max_vcpu_count applies to a new capacity provider only; set "
                "it on the capacity_provider you pass instead."
            )
        for name, value in (
            ("reserved_concurrent_executions", reserved_concurrent_executions),
            ("provisioned_concurrency", provisioned_concurrency),
        ):
            if value is not None:
                raise ValueError(
                    f"{name} does not apply on Managed Instances, which scale by execution "
                    f"environments and max_concurrency: drop {name}=."
                )

    def attach(
        self,
        scope: Construct,
        function: lambda_.Function,
        *,
        architecture: lambda_.Architecture,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        security_groups: Sequence[ec2.ISecurityGroup],
    ) -> lambda_.ICapacityProvider:
        """Put ``function`` on the capacity provider (created here unless one was given).

        The function itself gets no VPC configuration: on Managed Instances its network is the
        capacity provider's (subnets and security groups).
        """
        provider = self.capacity_provider
        if provider is None:
            assert vpc is not None  # check() ran
            groups = list(security_groups) or [
                ec2.SecurityGroup(
                    scope,
                    "CapacitySecurityGroup",
                    vpc=vpc,
                    description="Managed Instances of the streaming function: outbound only",
                    allow_all_outbound=True,
                )
            ]
            subnets = _subnets(vpc, vpc_subnets)
            provider = lambda_.CapacityProvider(
                scope,
                "CapacityProvider",
                subnets=subnets,
                security_groups=groups,
                architectures=[architecture],
                max_v_cpu_count=self.max_vcpu_count,
            )
            _acknowledge_operator_policy(provider)
        # What CapacityProvider.add_function writes, done here so that an imported provider
        # (an ICapacityProvider, which has no add_function) works the same way.
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.capacity_provider_config = lambda_.CfnFunction.CapacityProviderConfigProperty(
            lambda_managed_instances_capacity_provider_config=(
                lambda_.CfnFunction.LambdaManagedInstancesCapacityProviderConfigProperty(
                    capacity_provider_arn=provider.capacity_provider_arn,
                    per_execution_environment_max_concurrency=self.max_concurrency,
                    execution_environment_memory_gib_per_v_cpu=self.memory_gib_per_vcpu,
                )
            )
        )
        return provider


def shared_capacity(
    scope: Construct, architecture: lambda_.Architecture, max_concurrency: int
) -> tuple[ManagedInstances, dict[str, Any]]:
    """One capacity provider for several functions (the demo's): a new VPC with one NAT
    gateway and flow logs, and the ``ManagedInstances`` option and props that put a function
    on it. One provider for all keeps the bill at one pool of instances, not one per function.
    """
    vpc = ec2.Vpc(scope, "ManagedInstancesVpc", max_azs=2, nat_gateways=1)
    vpc.add_flow_log("FlowLog")
    group = ec2.SecurityGroup(
        scope,
        "ManagedInstancesSecurityGroup",
        vpc=vpc,
        description="Managed Instances of the demo functions: outbound only",
        allow_all_outbound=True,
    )
    provider = lambda_.CapacityProvider(
        scope,
        "CapacityProvider",
        subnets=vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets,
        security_groups=[group],
        architectures=[architecture],
    )
    _acknowledge_operator_policy(provider)
    option = ManagedInstances(capacity_provider=provider, max_concurrency=max_concurrency)
    return option, {"memory_size": int(option.memory_gib_per_vcpu * 1024)}


def _acknowledge_operator_policy(provider: lambda_.CapacityProvider) -> None:
    Validations.of(provider).acknowledge(
        Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:"
            "policy/AWSLambdaManagedEC2ResourceOperator]",
            reason="The capacity provider's operator role: Lambda launches and manages "
            "the instances with it, and AWS keeps this policy to what that needs "
            "(https://docs.aws.amazon.com/lambda/latest/dg/"
            "lambda-managed-instances-operator-role.html).",
        )
    )


def check(option: ManagedInstances | None, **props: Any) -> None:
    """``option.check(**props)``, nothing without the option (the construct's one call)."""
    if option is not None:
        option.check(**props)


def managed_instances_attach(
    option: ManagedInstances | None,
    scope: Construct,
    function: lambda_.Function,
    **network: Any,
) -> lambda_.ICapacityProvider | None:
    """``option.attach(...)``; None without the option (the construct's one call)."""
    return None if option is None else option.attach(scope, function, **network)


def _subnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection | None) -> list[ec2.ISubnet]:
    """The subnets ``selection`` picks in ``vpc`` (default: the VPC's private ones)."""
    if selection is None:
        return list(vpc.select_subnets().subnets)
    return list(
        vpc.select_subnets(
            availability_zones=selection.availability_zones,
            one_per_az=selection.one_per_az,
            subnet_filters=selection.subnet_filters,
            subnet_group_name=selection.subnet_group_name,
            subnets=selection.subnets,
            subnet_type=selection.subnet_type,
        ).subnets
    )


def _version(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor or 0)
