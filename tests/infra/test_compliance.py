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
from aws_cdk import Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint

from stacks import StreamingPythonFunction
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
