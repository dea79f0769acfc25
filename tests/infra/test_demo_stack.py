"""The demo app (app.py + StreamingDemoStack): the five article functions, set up by context."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from stacks.demo import DEFAULTS, DEMO_FUNCTIONS, StreamingDemoStack
from tests.infra.cfn import policy_statements, resources
from tests.infra.conftest import REPO, app

demo_app = importlib.import_module("app")
NOVA = "amazon.nova-lite-v1:0"
FM = "arn:${AWS::Partition}:bedrock:%s::foundation-model/%s"
PROFILE = "arn:${AWS::Partition}:bedrock:%s:${AWS::AccountId}:inference-profile/%s"


def demo(outdir: Path, **context: str) -> tuple[StreamingDemoStack, dict[str, Any]]:
    target = app(outdir, bundle=False, **context)
    stack = demo_app.build(target)
    target.synth()
    return stack, Template.from_stack(stack).to_json()


@pytest.fixture(scope="module")
def default(module_dir: Path) -> tuple[StreamingDemoStack, dict[str, Any]]:
    return demo(module_dir / "default")


def functions_by_handler(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f["Properties"]["Handler"]: f for f in resources(template, "AWS::Lambda::Function").values()
    }


def test_the_five_article_functions_with_their_url_modes(
    default: tuple[StreamingDemoStack, dict[str, Any]],
) -> None:
    stack, template = default
    functions = functions_by_handler(template)
    assert sorted(functions) == sorted(handler for _, handler, _, _ in DEMO_FUNCTIONS)
    modes = {}
    for url in resources(template, "AWS::Lambda::Url").values():
        target = url["Properties"]["TargetFunctionArn"]["Fn::GetAtt"][0]
        modes[template["Resources"][target]["Properties"]["Handler"]] = url["Properties"]
    assert {h: m["InvokeMode"] for h, m in modes.items()} == {
        "buffered.handler": "BUFFERED",
        "aggregated.handler": "BUFFERED",
        "stream_text.handler": "RESPONSE_STREAM",
        "stream_sse.handler": "RESPONSE_STREAM",
        "stream_langchain.handler": "RESPONSE_STREAM",
        "fastapi_app.handler": "RESPONSE_STREAM",
        "openai_compat.handler": "RESPONSE_STREAM",
    }
    assert {m["AuthType"] for m in modes.values()} == {"AWS_IAM"}
    assert stack.region == "us-east-1"


def test_functions_get_the_default_model_and_region(
    default: tuple[StreamingDemoStack, dict[str, Any]],
) -> None:
    _, template = default
    for function in functions_by_handler(template).values():
        props = function["Properties"]
        assert props["Runtime"] == "provided.al2023"
        assert props["Architectures"] == ["arm64"]
        assert props["Environment"]["Variables"] == {
            "MODEL_ID": DEFAULTS.model_id,
            "BEDROCK_REGION": DEFAULTS.region,
            "MAX_TOKENS": str(DEFAULTS.max_tokens),
            "LAMBDA_STREAMING_PYTHON": "/opt/bin/python3.13",
        }
    assert DEFAULTS.model_id.startswith("us.")  # a cross-Region profile: granted as such
    profile = PROFILE % (DEFAULTS.region, DEFAULTS.model_id)
    bedrock = [s for s in policy_statements(template) if "bedrock:" in str(s["Action"])]
    assert len(bedrock) == 2 * len(DEMO_FUNCTIONS)  # per function: the profile, and the model
    assert {str(s["Resource"]) for s in bedrock} == {
        profile,
        FM % ("*", DEFAULTS.model_id.removeprefix("us.")),
    }
    conditioned = [s for s in bedrock if "Condition" in s]
    assert [s["Condition"] for s in conditioned] == [
        {"StringLike": {"bedrock:InferenceProfileArn": profile}}
    ] * len(DEMO_FUNCTIONS)
    assert len(resources(template, "AWS::Lambda::LayerVersion")) == 1  # shared by all five


def test_langchain_alone_ships_langchain(
    default: tuple[StreamingDemoStack, dict[str, Any]],
) -> None:
    _, template = default
    keys = {h: f["Properties"]["Code"]["S3Key"] for h, f in functions_by_handler(template).items()}
    langchain = keys.pop("stream_langchain.handler")
    fastapi = keys.pop("fastapi_app.handler")  # FastAPI ships only with the FastAPI app
    assert len(set(keys.values())) == 1  # the other four are one asset, uploaded once
    assert langchain not in keys.values()
    assert fastapi not in {*keys.values(), langchain}


def test_outputs_are_the_urls(default: tuple[StreamingDemoStack, dict[str, Any]]) -> None:
    _, template = default
    outputs = template["Outputs"]
    assert sorted(outputs) == sorted(f"{name}Url" for name, _, _, _ in DEMO_FUNCTIONS)
    url_ids = set(resources(template, "AWS::Lambda::Url"))
    assert {o["Value"]["Fn::GetAtt"][0] for o in outputs.values()} == url_ids


def test_context_chooses_model_region_size_and_cpu(tmp_path: Path) -> None:
    stack, template = demo(
        tmp_path,
        model_id=NOVA,
        region="us-west-2",
        max_tokens="256",
        architecture="x86_64",
    )
    assert stack.region == "us-west-2"
    function = functions_by_handler(template)["stream_text.handler"]["Properties"]
    assert function["Architectures"] == ["x86_64"]
    assert function["Environment"]["Variables"]["MAX_TOKENS"] == "256"
    assert function["Environment"]["Variables"]["BEDROCK_REGION"] == "us-west-2"
    bedrock = [s for s in policy_statements(template) if "bedrock:" in str(s["Action"])]
    assert {str(s["Resource"]) for s in bedrock} == {FM % ("us-west-2", NOVA)}
    assert not any("Condition" in s for s in bedrock)  # a model called directly


def test_the_default_model_is_written_in_one_place_only() -> None:
    """The settings file is the one place: no source the stack, app or scripts run repeats
    the default model id (or the retired one the article used)."""
    sources = [REPO / "app.py", REPO / "scripts" / "demo.sh"]
    sources += sorted((REPO / "stacks" / "demo").glob("*.py"))
    sources += sorted((REPO / "lambda_src").glob("*.py"))
    for path in sources:
        text = path.read_text()
        assert DEFAULTS.model_id not in text, path
        assert "claude-3-haiku-20240307" not in text, path
        assert '"1000"' not in text and "MAX_TOKENS:-1000" not in text, path


def test_public_demo_is_public_and_says_so(tmp_path: Path) -> None:
    stack, template = demo(tmp_path, public="true")
    urls = resources(template, "AWS::Lambda::Url").values()
    assert {u["Properties"]["AuthType"] for u in urls} == {"NONE"}
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("anyone on the internet")
    )
    assert len(warnings) == len(DEMO_FUNCTIONS)
    # The OpenAI-compatible function alone asks for a bearer key, kept in Secrets Manager.
    (secret,) = resources(template, "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["GenerateSecretString"]["ExcludePunctuation"] is True
    variables = {
        f["Properties"]["Handler"]: f["Properties"]["Environment"]["Variables"]
        for f in resources(template, "AWS::Lambda::Function").values()
    }
    assert [h for h, v in variables.items() if "API_KEY_SECRET_ID" in v] == [
        "openai_compat.handler"
    ]
    readers = [
        s
        for s in policy_statements(template)
        if "secretsmanager:GetSecretValue" in str(s["Action"])
    ]
    assert len(readers) == 1


def test_managed_mode_from_context(tmp_path: Path) -> None:
    _, template = demo(tmp_path, runtime_mode="managed")
    runtimes = {
        f["Properties"]["Runtime"] for f in resources(template, "AWS::Lambda::Function").values()
    }
    assert runtimes == {"python3.13"}
    assert resources(template, "AWS::Lambda::LayerVersion") == {}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"architecture": "arm"}, "context architecture='arm': use one of arm64, x86_64"),
        ({"public": "yes"}, "context public='yes': use one of true, false"),
        ({"max_tokens": "-3"}, "use a positive integer"),
        ({"runtime_mode": "managed", "interpreter": "lambda-image"}, "interpreter= is for"),
        ({"interpreter": "/nonexistent/python"}, r"has no bin/python3\.13"),
    ],
)
def test_bad_context_stops_with_the_fix(
    tmp_path: Path, context: dict[str, str], message: str
) -> None:
    with pytest.raises((SystemExit, ValueError), match=message):
        demo(tmp_path, **context)
