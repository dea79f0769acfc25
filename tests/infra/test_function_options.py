"""The standard Lambda options StreamingPythonFunction forwards, and the checks around them:
VPC, KMS, layers, role, log group, DLQ, alias with the URL on it, no URL, IGrantable, the
X-Ray-only IAM5 acknowledgment, the 250 MB check, dependency sources and the shared layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from stacks import DependenciesLayer, InterpreterSource, StreamingPythonFunction, package_size
from stacks.dependencies import as_requirements
from tests.infra.cfn import as_list, flatten, policy_statements, resources
from tests.infra.conftest import FIXTURES, HELLO, app, host_architecture, stack


def build(target: cdk.Stack, name: str = "Fn", **props: Any) -> StreamingPythonFunction:
    props.setdefault("entry", HELLO)
    props.setdefault("handler", "app.handler")
    return StreamingPythonFunction(target, name, **props)


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = resources(template, kind).values()
    return found


def test_standard_options_reach_the_function(fresh_stack: Callable[..., cdk.Stack]) -> None:
    target = fresh_stack()
    vpc = ec2.Vpc(target, "Vpc", max_azs=2, nat_gateways=0)
    group = ec2.SecurityGroup(target, "Sg", vpc=vpc)
    key = kms.Key(target, "Key", enable_key_rotation=True)
    extra = lambda_.LayerVersion.from_layer_version_arn(
        target, "Extra", "arn:aws:lambda:us-east-1:111122223333:layer:tools:3"
    )
    queue = sqs.Queue(target, "Dlq", enforce_ssl=True)
    build(
        target,
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
        security_groups=[group],
        environment_encryption=key,
        environment={"GREETING": "hi"},
        layers=[extra],
        dead_letter_queue=queue,
        reserved_concurrent_executions=2,
        description="options test",
        alias="live",
        provisioned_concurrency=1,
    )
    template = Template.from_stack(target).to_json()
    function = flatten(only(template, "AWS::Lambda::Function")["Properties"])
    assert function["Description"] == "options test"
    assert function["ReservedConcurrentExecutions"] == 2
    assert function["KmsKeyArn"].startswith("${Key")
    assert function["DeadLetterConfig"]["TargetArn"].startswith("${Dlq")
    assert function["VpcConfig"]["SecurityGroupIds"] == [
        "${SgGroupId}"[:0] + function["VpcConfig"]["SecurityGroupIds"][0]
    ]
    assert function["VpcConfig"]["SecurityGroupIds"][0].startswith("${Sg")
    assert len(function["VpcConfig"]["SubnetIds"]) == 2
    assert function["Layers"][-1] == "arn:aws:lambda:us-east-1:111122223333:layer:tools:3"
    assert len(function["Layers"]) == 2  # the interpreter, then the user's
    alias = only(template, "AWS::Lambda::Alias")["Properties"]
    assert alias["Name"] == "live"
    assert alias["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 1}
    url = flatten(only(template, "AWS::Lambda::Url")["Properties"])
    alias_id = next(iter(resources(template, "AWS::Lambda::Alias")))
    assert url["Qualifier"] == "live"
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    assert alias_id in str(
        template["Resources"][next(iter(resources(template, "AWS::Lambda::Url")))]
    )
    role = only(template, "AWS::IAM::Role")["Properties"]
    assert "service-role/AWSLambdaVPCAccessExecutionRole" in str(role["ManagedPolicyArns"])


def test_no_function_url_and_a_rest_api_on_the_alias(fresh_stack: Callable[..., cdk.Stack]) -> None:
    target = fresh_stack()
    function = build(target, function_url=False, rest_api=True, alias="live")
    template = Template.from_stack(target).to_json()
    assert resources(template, "AWS::Lambda::Url") == {}
    assert function.url is None and function.function_url is None
    uris = [
        str(flatten(m["Properties"]["Integration"]["Uri"]))
        for m in resources(template, "AWS::ApiGateway::Method").values()
    ]
    alias_id = next(iter(resources(template, "AWS::Lambda::Alias")))
    assert uris and all(alias_id in uri for uri in uris)
    with pytest.raises(ValueError, match="has no Function URL"):
        function.grant_invoke_url(iam.AccountRootPrincipal())


def test_the_function_is_grantable_and_grants_its_url(
    fresh_stack: Callable[..., cdk.Stack],
) -> None:
    target = fresh_stack()
    function = build(target)
    bucket = s3.Bucket(target, "Bucket", enforce_ssl=True)
    bucket.grant_read(function)
    caller = iam.Role(target, "Caller", assumed_by=iam.AccountRootPrincipal())
    function.grant_invoke_url(caller)
    template = Template.from_stack(target).to_json()
    statements = policy_statements(template)
    reads = [s for s in statements if "s3:GetObject*" in as_list(s["Action"])]
    assert reads and reads[0]["Policy"].startswith("FnRoleDefaultPolicy")
    invokes = [s for s in statements if "lambda:InvokeFunctionUrl" in as_list(s["Action"])]
    assert invokes and invokes[0]["Policy"].startswith("CallerDefaultPolicy")
    assert invokes[0]["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}


def test_own_role_and_log_group_are_used(fresh_stack: Callable[..., cdk.Stack]) -> None:
    target = fresh_stack()
    role = iam.Role(target, "Mine", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    group = logs.LogGroup(target, "MyLogs", retention=logs.RetentionDays.ONE_YEAR)
    build(target, role=role, log_group=group)
    template = Template.from_stack(target).to_json()
    function = flatten(only(template, "AWS::Lambda::Function")["Properties"])
    assert function["Role"].startswith("${Mine")
    assert function["LoggingConfig"]["LogGroup"].startswith("${MyLogs")
    assert len(resources(template, "AWS::IAM::Role")) == 1
    assert len(resources(template, "AWS::Logs::LogGroup")) == 1


@pytest.mark.parametrize(
    ("props", "error", "message"),
    [
        ({"vpc_subnets": ec2.SubnetSelection()}, ValueError, "pass vpc= too"),
        ({"alias": "123"}, ValueError, "not only digits"),
        ({"provisioned_concurrency": 2}, ValueError, "pass alias='live' too"),
        ({"cloudfront": True, "function_url": False}, ValueError, "keep function_url=True"),
        (
            {"cloudfront": True, "cloudfront_read_timeout": cdk.Duration.seconds(200)},
            ValueError,
            "1 to 180 s, and more than 60 s only after a quota increase",
        ),
        ({"layers": ["arn:aws:lambda:us-east-1:1:layer:x:1"]}, TypeError, "ILayerVersion"),
        ({"role": "arn:aws:iam::1:role/x"}, TypeError, r"role= takes an iam\.IRole"),
        ({"environment_encryption": "alias/x"}, TypeError, "kms.IKey"),
        ({"memory_size": "512"}, TypeError, "memory_size= takes an int"),
        ({"requirements": b"boto3"}, TypeError, "not bytes"),
        ({"python_version": "3.10"}, ValueError, r"3\.11, 3\.12, 3\.13, 3\.14"),
    ],
)
def test_bad_options_fail_eagerly_with_the_fix(
    fresh_stack: Callable[..., cdk.Stack], props: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        build(fresh_stack(), **props)


def test_too_many_layers_is_refused(fresh_stack: Callable[..., cdk.Stack]) -> None:
    target = fresh_stack()
    layers = [
        lambda_.LayerVersion.from_layer_version_arn(
            target, f"L{n}", f"arn:aws:lambda:us-east-1:111122223333:layer:l{n}:1"
        )
        for n in range(5)
    ]
    with pytest.raises(ValueError, match="Lambda allows 5 per function"):
        build(target, layers=layers)


def nag(outdir: Path, change: Callable[[StreamingPythonFunction], None]) -> None:
    target_app = app(outdir, bundle=False)
    function = build(stack(target_app, "Nag"))
    change(function)
    cdk.Validations.of(target_app).add_plugins(AwsSolutionsChecks(target_app))
    target_app.synth()


def test_iam5_is_acknowledged_only_while_star_is_exactly_xray(tmp_path: Path) -> None:
    nag(tmp_path / "ok", lambda f: None)

    def delete_any_table(function: StreamingPythonFunction) -> None:
        function.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:DeleteTable"], resources=["*"])
        )

    with pytest.raises(
        RuntimeError, match=r"(?s)ValidationFailed.*AwsSolutions-IAM5\[Resource::\*\]"
    ):
        nag(tmp_path / "bad", delete_any_table)


def test_a_function_over_250_mb_fails_synth_naming_the_biggest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_STREAMING_CACHE_DIR", str(tmp_path / "cache"))
    big = tmp_path / "big"
    (big / "python" / "torch").mkdir(parents=True)
    with (big / "python" / "torch" / "lib.so").open("wb") as file:
        file.truncate(package_size.UNZIPPED_LIMIT + 1)  # sparse: no disk used
    (big / "python" / "six.py").write_text("x" * 1000)
    package_size.record("k-big", "dependencies layer", big)
    small = tmp_path / "small"
    small.mkdir()
    (small / "app.py").write_text("pass\n")
    package_size.record("k-small", "function code", small)
    (error,) = package_size.check(["k-small", "k-big", "k-never-built"], what="Stack/Fn")
    assert "Stack/Fn: code and layers add up to 262.1 MB unzipped" in error
    assert error.index("python/torch 262.1 MB") < error.index("function code: app.py")
    assert package_size.check(["k-small"], what="Stack/Fn") == []


def test_requirements_from_pyproject_and_uv_lock(tmp_path: Path) -> None:
    project = FIXTURES / "uv_project"
    locked = as_requirements(project / "uv.lock", project)
    assert locked.lines == ("simplejson==4.3.0",) and locked.files == ()
    declared = as_requirements(project / "pyproject.toml", project)
    assert declared.lines == ("simplejson==4.3.0",)
    assert as_requirements(None, project) == locked  # uv.lock before pyproject.toml
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\ndynamic=["dependencies"]\n')
    with pytest.raises(ValueError, match="dependencies are dynamic"):
        as_requirements(tmp_path / "pyproject.toml", tmp_path)


def test_a_shared_dependencies_layer_is_built_once_and_put_on_the_path(
    tmp_path: Path, cpython_prefix: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target_app = app(tmp_path / "out", bundle=True)
    target = stack(target_app, "Deps")
    shared = DependenciesLayer(
        target, "Shared", requirements=["six==1.17.0"], architecture=host_architecture()
    )
    interpreter = InterpreterSource.directory(cpython_prefix, allow_missing_libraries=True)
    for name in ("One", "Two"):
        build(
            target,
            name,
            requirements=[],
            dependencies_layer=shared,
            interpreter=interpreter,
            architecture=host_architecture(),
        )
    with pytest.raises(ValueError, match=r"built for CPython 3\.13 on .*, the function runs"):
        build(
            target,
            "Other",
            dependencies_layer=shared,
            python_version="3.12",
            architecture=host_architecture(),
        )
    template = target_app.synth().get_stack_by_name("Deps").template
    layer_ids = set(resources(template, "AWS::Lambda::LayerVersion"))
    functions = resources(template, "AWS::Lambda::Function").values()
    for function in functions:
        props = function["Properties"]
        assert props["Environment"]["Variables"]["PYTHONPATH"] == "/opt/python"
        assert {layer["Ref"] for layer in props["Layers"]} == layer_ids  # interpreter + shared
    deps = next(
        r
        for r in resources(template, "AWS::Lambda::LayerVersion").values()
        if "dependencies" in r["Properties"]["Description"]
    )
    asset = tmp_path / "out" / f"asset.{deps['Properties']['Content']['S3Key'][:-4]}"
    assert (asset / "python" / "six.py").is_file()
    code = [tmp_path / "out" / f"asset.{f['Properties']['Code']['S3Key'][:-4]}" for f in functions]
    assert all(not (c / "six.py").exists() and (c / "bootstrap").is_file() for c in code)


def test_a_directory_interpreter_lambda_lacks_libraries_for_fails_unless_allowed(
    fresh_stack: Callable[..., cdk.Stack], cpython_prefix: Path
) -> None:
    """This machine's CPython links the OS's libffi, sqlite, ...: provided.al2023 has none."""
    with pytest.raises(ValueError, match=r"(?s)needs shared libraries.*libffi\.so\.\d.*_ctypes"):
        build(
            fresh_stack(),
            interpreter=InterpreterSource.directory(cpython_prefix),
            architecture=host_architecture(),
        )
    target = fresh_stack()
    build(
        target,
        interpreter=InterpreterSource.directory(cpython_prefix, allow_missing_libraries=True),
        architecture=host_architecture(),
    )
    Annotations.from_stack(target).has_warning(
        "*", Match.string_like_regexp("needs shared libraries.*libsqlite3")
    )
