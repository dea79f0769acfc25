"""``managed_instances=``: the function on a Lambda Managed Instances capacity provider.

Template assertions on a synthesized stack (no bundling), the eager checks with their messages,
and cdk-nag plus cfn-lint on a stack that uses it. Nothing here ran on AWS.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from stacks import ManagedInstances, RuntimeMode, StreamingPythonFunction
from tests.infra.conftest import HELLO, app, stack
from tests.infra.test_compliance import cfn_lint

CAPACITY_PROVIDER = "AWS::Lambda::CapacityProvider"
PROVIDER_ARN = "arn:aws:lambda:us-east-1:123456789012:capacity-provider:shared"


def network(scope: cdk.Stack) -> ec2.Vpc:
    vpc = ec2.Vpc(scope, "Vpc", max_azs=2, nat_gateways=1)
    vpc.add_flow_log("FlowLog")  # cdk-nag VPC7
    return vpc


def build(target: cdk.Stack, **props: Any) -> StreamingPythonFunction:
    props.setdefault("entry", HELLO)
    props.setdefault("handler", "app.handler")
    props.setdefault("memory_size", 2048)
    return StreamingPythonFunction(target, "Fn", **props)


def test_a_new_capacity_provider_in_the_vpc_for_the_functions_architecture(
    tmp_path: Path,
) -> None:
    target = stack(app(tmp_path, bundle=False), "Lmi")
    vpc = network(target)
    function = build(
        target,
        vpc=vpc,
        architecture=lambda_.Architecture.ARM_64,
        memory_size=4096,
        managed_instances=ManagedInstances(max_concurrency=128, memory_gib_per_vcpu=4),
    )
    template = Template.from_stack(target)
    template.resource_count_is("AWS::Lambda::CapacityProvider", 1)
    template.has_resource_properties(
        "AWS::Lambda::CapacityProvider",
        {
            "InstanceRequirements": {"Architectures": ["arm64"]},
            "VpcConfig": {
                "SubnetIds": Match.array_with(
                    [{"Ref": Match.string_like_regexp("PrivateSubnet1")}]
                ),
                "SecurityGroupIds": [
                    {"Fn::GetAtt": [Match.string_like_regexp("CapacitySecurity"), "GroupId"]}
                ],
            },
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "CapacityProviderConfig": {
                "LambdaManagedInstancesCapacityProviderConfig": {
                    "CapacityProviderArn": {"Fn::GetAtt": [Match.any_value(), "Arn"]},
                    "PerExecutionEnvironmentMaxConcurrency": 128,
                    "ExecutionEnvironmentMemoryGiBPerVCpu": 4,
                }
            },
            "MemorySize": 4096,
            "LoggingConfig": {"LogFormat": "JSON"},  # the only format LMI supports
            "VpcConfig": Match.absent(),  # the capacity provider's network, not the function's
        },
    )
    assert function.capacity_provider is not None


def test_an_existing_capacity_provider_is_used_as_is(tmp_path: Path) -> None:
    target = stack(app(tmp_path, bundle=False), "Shared")
    provider = lambda_.CapacityProvider.from_capacity_provider_arn(target, "Shared", PROVIDER_ARN)
    build(target, managed_instances=ManagedInstances(capacity_provider=provider))
    template = Template.from_stack(target)
    template.resource_count_is("AWS::Lambda::CapacityProvider", 0)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "CapacityProviderConfig": {
                "LambdaManagedInstancesCapacityProviderConfig": {
                    "CapacityProviderArn": PROVIDER_ARN,
                    "PerExecutionEnvironmentMaxConcurrency": 64,
                    "ExecutionEnvironmentMemoryGiBPerVCpu": 2,
                }
            }
        },
    )


def test_without_the_option_nothing_changes(tmp_path: Path) -> None:
    target = stack(app(tmp_path, bundle=False), "Classic")
    build(target)
    template = Template.from_stack(target)
    template.resource_count_is("AWS::Lambda::CapacityProvider", 0)
    template.has_resource_properties(
        "AWS::Lambda::Function", {"CapacityProviderConfig": Match.absent()}
    )


@pytest.mark.parametrize(
    ("props", "option", "message"),
    [
        ({}, {"max_concurrency": 0}, r"max_concurrency=0: use a whole number from 1 to 1600"),
        ({}, {"max_concurrency": 1601}, r"from 1 to 1600"),
        ({}, {"memory_gib_per_vcpu": 1}, r"memory_gib_per_vcpu=1: use 2 to 8 GiB per vCPU"),
        ({}, {"memory_gib_per_vcpu": 16}, r"use 2 to 8 GiB"),
        (
            {"memory_size": 1024},
            {},
            r"memory_size=1024 MB is less than one vCPU's share \(2 GiB = 2048 MB\)",
        ),
        (
            {"memory_size": 4096},
            {"memory_gib_per_vcpu": 8},
            r"raise memory_size to at least 8192",
        ),
        (
            {"runtime_mode": RuntimeMode.MANAGED, "python_version": "3.12"},
            {},
            r"support the managed Python runtime from 3.13",
        ),
        ({"vpc": None}, {}, r"pass vpc= \(its instances need a route to Bedrock\)"),
        ({}, {"max_vcpu_count": 4}, r"scales to at least 12 vCPUs"),
        ({"reserved_concurrent_executions": 5}, {}, r"reserved_concurrent_executions does not"),
        (
            {"alias": "live", "provisioned_concurrency": 1},
            {},
            r"provisioned_concurrency does not apply on Managed Instances",
        ),
    ],
)
def test_bad_settings_fail_at_construction_saying_what_to_fix(
    tmp_path: Path, props: dict[str, Any], option: dict[str, Any], message: str
) -> None:
    target = stack(app(tmp_path, bundle=False), "Bad")
    if "vpc" not in props:
        props["vpc"] = network(target)
    with pytest.raises(ValueError, match=message):
        build(target, managed_instances=ManagedInstances(**option), **props)
    # Raised before anything of the function was built.
    built = [c for c in target.node.find_all() if isinstance(c, cdk.CfnResource)]
    assert not [c for c in built if c.node.path.startswith(f"{target.node.path}/Fn/")]


def test_an_imported_provider_cannot_take_max_vcpu_count(tmp_path: Path) -> None:
    target = stack(app(tmp_path, bundle=False), "Imported")
    provider = lambda_.CapacityProvider.from_capacity_provider_arn(target, "P", PROVIDER_ARN)
    with pytest.raises(ValueError, match="applies to a new capacity provider only"):
        build(
            target,
            managed_instances=ManagedInstances(capacity_provider=provider, max_vcpu_count=24),
        )


def test_cdk_nag_passes_and_cfn_lint_is_clean(tmp_path: Path) -> None:
    target = app(tmp_path, bundle=False)
    Validations.of(target).add_plugins(AwsSolutionsChecks(target))
    lmi = stack(target, "LmiNag")
    build(lmi, vpc=network(lmi), managed_instances=ManagedInstances(max_concurrency=64))
    assembly = target.synth()  # raises if cdk-nag reports an unacknowledged finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [r["conclusion"] for r in report["pluginReports"]] == ["success"]
    assert cfn_lint(assembly.get_stack_by_name("LmiNag").template) == []


def test_the_demo_puts_every_function_on_one_shared_capacity_provider(tmp_path: Path) -> None:
    demo_app = importlib.import_module("app")
    target = app(tmp_path, bundle=False, managed_instances="64")
    demo = demo_app.build(target)
    assembly = target.synth()  # raises if cdk-nag reports an unacknowledged finding
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [r["conclusion"] for r in report["pluginReports"]] == ["success"]
    template = assembly.get_stack_by_name(demo.stack_name).template
    assert cfn_lint(template) == []
    providers = [k for k, r in template["Resources"].items() if r["Type"] == CAPACITY_PROVIDER]
    assert len(providers) == 1  # one pool of instances for all, not one per function
    functions = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
        and "Handler" in r["Properties"]
        and r["Properties"]["Handler"].endswith(".handler")
        and "lambda-streaming demo" in r["Properties"].get("Description", "")
    ]
    assert len(functions) == len(demo.functions)
    for properties in functions:
        config = properties["CapacityProviderConfig"][
            "LambdaManagedInstancesCapacityProviderConfig"
        ]
        assert config["CapacityProviderArn"] == {"Fn::GetAtt": [providers[0], "Arn"]}
        assert config["PerExecutionEnvironmentMaxConcurrency"] == 64
        assert properties["MemorySize"] == 2048
        assert "VpcConfig" not in properties


@pytest.mark.parametrize("value", ["-1", "lots", "1601"])
def test_the_demo_refuses_a_bad_managed_instances_value(tmp_path: Path, value: str) -> None:
    demo_app = importlib.import_module("app")
    with pytest.raises(SystemExit, match=rf"managed_instances={value!r}: use 0 \(classic"):
        demo_app.build(app(tmp_path, bundle=False, managed_instances=value))
