"""The synthesized template of StreamingPythonFunction: defaults and every option.

One app holds a stack per configuration and is synthesized once (bundling skipped: the template
is complete without building assets; test_packaging.py builds them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from stacks import InterpreterSource, RuntimeMode, StreamingPythonFunction
from stacks.streaming_function import PUBLIC_URL_WARNING_ID
from tests.infra.cfn import as_list, flatten, policy_statements, resources
from tests.infra.conftest import HELLO, app, stack

MODEL = "amazon.nova-lite-v1:0"


class Synthesized:
    def __init__(self, outdir: Path) -> None:
        self.app = app(outdir, bundle=False)
        self.stacks: dict[str, cdk.Stack] = {}
        self.functions: dict[str, StreamingPythonFunction] = {}

    def add(self, name: str, **props: Any) -> StreamingPythonFunction:
        self.stacks[name] = stack(self.app, name)
        props.setdefault("entry", HELLO)
        props.setdefault("handler", "app.handler")
        function = StreamingPythonFunction(self.stacks[name], "Fn", **props)
        self.functions[name] = function
        return function

    def template(self, name: str) -> Template:
        return Template.from_stack(self.stacks[name])

    def json(self, name: str) -> dict[str, Any]:
        return self.template(name).to_json()


@pytest.fixture(scope="module")
def synth(module_dir: Path) -> Synthesized:
    s = Synthesized(module_dir)
    s.add("Default").grant_bedrock_invoke(models=[MODEL])
    s.add("Managed", runtime_mode=RuntimeMode.MANAGED, python_version="3.12")
    s.add(
        "Public",
        auth_type=lambda_.FunctionUrlAuthType.NONE,
        cors=lambda_.FunctionUrlCorsOptions(
            allowed_origins=["https://example.com"], allowed_methods=[lambda_.HttpMethod.POST]
        ),
    )
    s.add("Front", cloudfront=True, rest_api=True, timeout=cdk.Duration.minutes(10))
    s.add(
        "Tuned",
        memory_size=1024,
        reserved_concurrent_executions=3,
        tracing=False,
        log_retention=cdk.aws_logs.RetentionDays.ONE_WEEK,
        python_version="3.11",
        architecture=lambda_.Architecture.X86_64,
        environment={"GREETING": "hi"},
    )
    s.stacks["Shared"] = stack(s.app, "Shared")
    for name in ("One", "Two"):
        StreamingPythonFunction(s.stacks["Shared"], name, entry=HELLO, handler="app.handler")
    s.app.synth()
    return s


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.values()))


def test_default_is_provided_al2023_on_arm64_with_the_interpreter_layer(synth: Synthesized) -> None:
    template = synth.json("Default")
    function = only(template, "AWS::Lambda::Function")["Properties"]
    layer_id, layer = next(iter(resources(template, "AWS::Lambda::LayerVersion").items()))
    assert function["Runtime"] == "provided.al2023"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "app.handler"
    assert function["Layers"] == [{"Ref": layer_id}]
    assert layer["Properties"]["CompatibleRuntimes"] == ["provided.al2023"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert function["Environment"]["Variables"] == {
        "LAMBDA_STREAMING_PYTHON": "/opt/bin/python3.13"
    }
    assert (function["MemorySize"], function["Timeout"]) == (512, 300)
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert "ReservedConcurrentExecutions" not in function


def test_default_url_streams_and_requires_sigv4(synth: Synthesized) -> None:
    template = synth.json("Default")
    url = only(template, "AWS::Lambda::Url")["Properties"]
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    assert url["AuthType"] == "AWS_IAM"
    assert "Cors" not in url
    assert resources(template, "AWS::Lambda::Permission") == {}  # nobody is let in by default
    assert synth.stacks["Default"].resolve(synth.functions["Default"].url) == {
        "Fn::GetAtt": [next(iter(resources(template, "AWS::Lambda::Url"))), "FunctionUrl"]
    }


def test_default_logs_go_to_a_json_log_group_kept_one_month(synth: Synthesized) -> None:
    template = synth.json("Default")
    log_group_id, log_group = next(iter(resources(template, "AWS::Logs::LogGroup").items()))
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert function["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": {"Ref": log_group_id}}


def test_default_role_may_write_its_logs_trace_and_invoke_exactly_one_model(
    synth: Synthesized,
) -> None:
    template = synth.json("Default")
    role_id, role = next(iter(resources(template, "AWS::IAM::Role").items()))
    log_group_id = next(iter(resources(template, "AWS::Logs::LogGroup")))
    assert "ManagedPolicyArns" not in role["Properties"]  # not even AWSLambdaBasicExecutionRole
    statements = sorted(
        ({k: v for k, v in s.items() if k != "Policy"} for s in policy_statements(template)),
        key=lambda s: str(s["Action"]),
    )
    assert statements == [
        {
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Effect": "Allow",
            "Resource": f"arn:${{AWS::Partition}}:bedrock:us-east-1::foundation-model/{MODEL}",
            "Sid": "InvokeFoundationModels",
        },
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": f"${{{log_group_id}.Arn}}",
        },
        {
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Effect": "Allow",
            "Resource": "*",
        },
    ]
    for policy in resources(template, "AWS::IAM::Policy").values():
        assert policy["Properties"]["Roles"] == [{"Ref": role_id}]


@pytest.mark.parametrize("name", ["Default", "Managed", "Public", "Front", "Tuned", "Shared"])
def test_no_wildcard_actions_and_no_bedrock_on_any_resource(synth: Synthesized, name: str) -> None:
    for statement in policy_statements(synth.json(name)):
        actions = as_list(statement["Action"])
        assert not any("*" in action for action in actions), statement
        if any(action.startswith("bedrock:") for action in actions):
            assert not any("*" in str(r) for r in as_list(statement["Resource"])), statement


def test_managed_mode_starts_bootstrap_through_the_exec_wrapper(synth: Synthesized) -> None:
    template = synth.json("Managed")
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert function["Runtime"] == "python3.12"
    assert "Layers" not in function
    assert resources(template, "AWS::Lambda::LayerVersion") == {}
    assert function["Environment"]["Variables"] == {
        "AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bootstrap",
        "LAMBDA_STREAMING_PYTHON": "/var/lang/bin/python3.12",
    }
    assert only(template, "AWS::Lambda::Url")["Properties"]["InvokeMode"] == "RESPONSE_STREAM"


def test_public_url_is_public_only_when_asked_and_warns_at_synth(synth: Synthesized) -> None:
    template = synth.template("Public")
    template.has_resource_properties(
        "AWS::Lambda::Url",
        {
            "AuthType": "NONE",
            "InvokeMode": "RESPONSE_STREAM",
            "Cors": {"AllowOrigins": ["https://example.com"], "AllowMethods": ["POST"]},
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunctionUrl",
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        },
    )
    Annotations.from_stack(synth.stacks["Public"]).has_warning(
        "/Public/Fn",
        Match.string_like_regexp(
            f"anyone on the internet.*Bedrock token.*\\[ack: {PUBLIC_URL_WARNING_ID}\\]"
        ),
    )
    Annotations.from_stack(synth.stacks["Default"]).has_no_warning("*", Match.any_value())


def test_cloudfront_signs_with_origin_access_control(synth: Synthesized) -> None:
    template = synth.json("Front")
    url_id = next(iter(resources(template, "AWS::Lambda::Url")))
    distribution_id = next(iter(resources(template, "AWS::CloudFront::Distribution")))
    oac_id, oac = next(iter(resources(template, "AWS::CloudFront::OriginAccessControl").items()))
    oac_config = flatten(oac["Properties"]["OriginAccessControlConfig"])
    assert oac_config | {"Name": None, "Description": None} == {
        "Name": None,
        "Description": None,
        "OriginAccessControlOriginType": "lambda",
        "SigningBehavior": "always",
        "SigningProtocol": "sigv4",
    }
    # Unique per account across Regions: the same stack in a second Region gets another name.
    assert oac_config["Name"].endswith("-${AWS::Region}") and len(oac_config["Name"]) < 64
    config = flatten(template["Resources"][distribution_id]["Properties"])["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == f"${{{oac_id}.Id}}"
    assert origin["DomainName"]["Fn::Select"][1]["Fn::Split"][1] == f"${{{url_id}.FunctionUrl}}"
    # 60 s: the most an account may use without a quota increase (deploy fails beyond).
    assert origin["CustomOriginConfig"]["OriginReadTimeout"] == 60
    assert origin["ResponseCompletionTimeout"] == 600  # the function's timeout
    behavior = config["DefaultCacheBehavior"]
    assert set(behavior["AllowedMethods"]) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
        "PATCH",
        "POST",
        "DELETE",
    }
    assert behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert behavior["Compress"] is False
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert template["Resources"][url_id]["Properties"]["AuthType"] == "AWS_IAM"
    permissions = sorted(
        (
            flatten(p["Properties"])
            for p in resources(template, "AWS::Lambda::Permission").values()
            if p["Properties"]["Principal"] == "cloudfront.amazonaws.com"
        ),
        key=lambda p: p["Action"],
    )
    source = (
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
        f"${{{distribution_id}}}"
    )
    assert [(p["Action"], p["SourceArn"], p.get("InvokedViaFunctionUrl")) for p in permissions] == [
        ("lambda:InvokeFunction", source, True),
        ("lambda:InvokeFunctionUrl", source, None),
    ]
    assert synth.stacks["Front"].resolve(synth.functions["Front"].url) == {
        "Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "/"]]
    }


def test_rest_api_streams_through_response_streaming_invocations(synth: Synthesized) -> None:
    methods = [
        flatten(m["Properties"])
        for m in resources(synth.json("Front"), "AWS::ApiGateway::Method").values()
    ]
    assert len(methods) == 2  # / and /{proxy+}
    for method in methods:
        assert method["HttpMethod"] == "ANY"
        assert method["AuthorizationType"] == "AWS_IAM"
        integration = method["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["ResponseTransferMode"] == "STREAM"
        assert integration["TimeoutInMillis"] == 900_000
        assert "/2021-11-15/functions/" in integration["Uri"]
        assert integration["Uri"].endswith("/response-streaming-invocations")
    rest_api = only(synth.json("Front"), "AWS::ApiGateway::RestApi")["Properties"]
    assert rest_api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def test_props_reach_the_function(synth: Synthesized) -> None:
    template = synth.json("Tuned")
    function = only(template, "AWS::Lambda::Function")["Properties"]
    assert function["Architectures"] == ["x86_64"]
    assert function["MemorySize"] == 1024
    assert function["ReservedConcurrentExecutions"] == 3
    assert "TracingConfig" not in function or function["TracingConfig"]["Mode"] == "PassThrough"
    assert function["Environment"]["Variables"] == {
        "GREETING": "hi",
        "LAMBDA_STREAMING_PYTHON": "/opt/bin/python3.11",
    }
    layer = only(template, "AWS::Lambda::LayerVersion")["Properties"]
    assert layer["CompatibleArchitectures"] == ["x86_64"]
    assert only(template, "AWS::Logs::LogGroup")["Properties"]["RetentionInDays"] == 7
    actions = [a for s in policy_statements(template) for a in as_list(s["Action"])]
    assert not any(a.startswith("xray:") for a in actions)


def test_functions_of_one_stack_share_one_interpreter_layer(synth: Synthesized) -> None:
    template = synth.json("Shared")
    (layer_id,) = resources(template, "AWS::Lambda::LayerVersion")
    functions = resources(template, "AWS::Lambda::Function").values()
    assert [f["Properties"]["Layers"] for f in functions] == [[{"Ref": layer_id}]] * 2


def test_layer_is_shared_only_with_the_same_source(fresh_stack: Any) -> None:
    target = fresh_stack()
    StreamingPythonFunction(
        target,
        "A",
        entry=HELLO,
        handler="app.handler",
        interpreter=InterpreterSource.lambda_image(),
    )
    with pytest.raises(ValueError, match="use the same interpreter source for every function"):
        StreamingPythonFunction(
            target,
            "B",
            entry=HELLO,
            handler="app.handler",
            interpreter=InterpreterSource.lambda_image(image="my/python:3.13"),
        )
