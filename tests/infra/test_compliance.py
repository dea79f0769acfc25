"""cdk-nag (AwsSolutions, v3 API) and cfn-lint on the demo app in every configuration.

app.py registers the AwsSolutions pack on the app, so any finding that is not acknowledged
with a reason fails synth: here, and in every user's ``cdk synth`` / ``cdk deploy``. The
negative tests show that both checks do fail on what they exist to catch.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint

from stacks import DependenciesLayer, StreamingPythonFunction
from tests.infra.conftest import HELLO, app, stack

demo_app = importlib.import_module("app")

CONFIGURATIONS = {
    "default": {},
    "public": {"public": "true"},
    "cloudfront": {"cloudfront": "true"},
    "rest-api": {"rest_api": "true"},
    "public-rest-api": {"public": "true", "rest_api": "true"},
    "managed": {"runtime_mode": "managed"},
    "us-profile-x86": {
        "model_id": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "architecture": "x86_64",
    },
    "global-profile-foundation": {"model_id": "global.anthropic.claude-haiku-4-5-20251001-v1:0"},
    "foundation-model": {"model_id": "amazon.nova-lite-v1:0", "cloudfront": "true"},
}
# CDK emits a DependsOn the template also implies through GetAtt; harmless and unavoidable.
CFN_LINT_IGNORED = ["W3005"]


def cfn_lint(template: dict[str, Any], region: str = "us-east-1") -> list[str]:
    matches = lint(
        json.dumps(template), config=ManualArgs(regions=[region], ignore_checks=CFN_LINT_IGNORED)
    )
    return [str(match) for match in matches]


@pytest.fixture(scope="module")
def templates(module_dir: Path) -> dict[str, dict[str, Any]]:
    synthesized = {}
    for name, context in CONFIGURATIONS.items():
        target = app(module_dir / name, bundle=False, **context)
        demo = demo_app.build(target)
        assembly = target.synth()  # raises if cdk-nag reports an unacknowledged finding
        report = json.loads((module_dir / name / "validation-report.json").read_text())
        assert [r["conclusion"] for r in report["pluginReports"]] == ["success"], name
        synthesized[name] = assembly.get_stack_by_name(demo.stack_name).template
    return synthesized


@pytest.mark.parametrize("name", sorted(CONFIGURATIONS))
def test_cdk_nag_passes_and_cfn_lint_is_clean(
    templates: dict[str, dict[str, Any]], name: str
) -> None:
    assert cfn_lint(templates[name]) == []


def test_cdk_nag_fails_synth_on_a_wildcard_bedrock_grant(tmp_path: Path) -> None:
    target = app(tmp_path, bundle=False)
    Validations.of(target).add_plugins(AwsSolutionsChecks(target))
    function = StreamingPythonFunction(
        stack(target, "Loose"), "Fn", entry=HELLO, handler="app.handler"
    )
    function.function.add_to_role_policy(
        iam.PolicyStatement(actions=["bedrock:*"], resources=["*"])
    )
    with pytest.raises(
        RuntimeError, match=r"(?s)ValidationFailed.*AwsSolutions-IAM5\[Action::bedrock:\*\]"
    ):
        target.synth()


def test_cfn_lint_reports_an_invalid_function(templates: dict[str, dict[str, Any]]) -> None:
    broken = json.loads(json.dumps(templates["default"]))
    function = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    function["Properties"]["MemorySize"] = 64
    function["Properties"]["Runtime"] = "python2.6"
    problems = cfn_lint(broken)
    assert any(
        p.startswith("[E3034") and "64 is less than the minimum of 128" in p for p in problems
    ), problems
    assert any(p.startswith("[E3030") and "'python2.6'" in p for p in problems), problems


def test_the_construct_options_pass_cdk_nag_and_cfn_lint(tmp_path: Path) -> None:
    """VPC, KMS, DLQ, alias with provisioned concurrency, shared layer, CloudFront at 90 s."""
    target_app = app(tmp_path, bundle=False)
    target = stack(target_app, "Options")
    vpc = ec2.Vpc(
        target,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )
    vpc.add_flow_log("FlowLogs")
    key = kms.Key(target, "Key", enable_key_rotation=True)
    dlq = sqs.Queue(target, "Dlq", enforce_ssl=True, encryption=sqs.QueueEncryption.KMS_MANAGED)
    Validations.of(dlq).acknowledge(
        Acknowledgment(id="AwsSolutions::AwsSolutions-SQS3", reason="This queue is the DLQ.")
    )
    function = StreamingPythonFunction(
        target,
        "Fn",
        entry=HELLO,
        handler="app.handler",
        vpc=vpc,
        security_groups=[ec2.SecurityGroup(target, "Sg", vpc=vpc, description="fn")],
        environment={"GREETING": "hi"},
        environment_encryption=key,
        dead_letter_queue=dlq,
        dependencies_layer=DependenciesLayer(target, "Deps", requirements=["six==1.17.0"]),
        alias="live",
        provisioned_concurrency=1,
        cloudfront=True,
        cloudfront_read_timeout=Duration.seconds(90),
    )
    function.grant_bedrock_invoke(
        inference_profiles=["global.anthropic.claude-haiku-4-5-20251001-v1:0"]
    )
    for rule, reason in (
        ("CFR1", "test"),
        ("CFR2", "test"),
        ("CFR3", "test"),
        ("CFR4", "test"),
    ):
        Validations.of(target).acknowledge(
            Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason)
        )
    Validations.of(target_app).add_plugins(AwsSolutionsChecks(target_app))
    template = target_app.synth().get_stack_by_name("Options").template
    assert cfn_lint(template) == []
