"""lambda_src/api_key.py without sockets: who is asked for a key, and how it is compared."""

from collections.abc import Iterator

import api_key
import pytest

from lambda_streaming.openai import OpenAIError


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(api_key.SECRET_VARIABLE, "the-secret")
    monkeypatch.setattr(api_key, "_cached", None)
    monkeypatch.setattr(api_key, "_read_secret", lambda _: "sk-right")
    yield


def event(**headers: str) -> dict[str, object]:
    return {
        "rawPath": "/v1/models",
        "requestContext": {"http": {"method": "GET"}},
        "headers": headers,
    }


def test_iam_signed_requests_are_not_asked_for_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(api_key.SECRET_VARIABLE, "the-secret")

    def never(_: str) -> str:
        raise AssertionError("the key must not be read for an IAM-signed request")

    monkeypatch.setattr(api_key, "_read_secret", never)
    signed = event(authorization="AWS4-HMAC-SHA256 Credential=...")
    signed["requestContext"] = {
        "http": {"method": "GET"},
        "authorizer": {"iam": {"accessKey": "A"}},
    }
    api_key.check_api_key(signed)


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    "header", ["Bearer sk-wrong", "Basic sk-right", "Bearer ", "sk-right", "Bearer sk-right2"]
)
def test_anything_but_the_bearer_key_is_a_401(header: str) -> None:
    with pytest.raises(OpenAIError) as raised:
        api_key.check_api_key(event(Authorization=header))
    assert (raised.value.status, raised.value.code) == (401, "invalid_api_key")


@pytest.mark.usefixtures("configured")
def test_the_bearer_key_passes_whatever_the_header_case() -> None:
    api_key.check_api_key(event(authorization="Bearer sk-right"))
    api_key.check_api_key(event(Authorization="bearer sk-right"))


def test_both_sources_set_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(api_key.SECRET_VARIABLE, "s")
    monkeypatch.setenv(api_key.PARAMETER_VARIABLE, "p")
    with pytest.raises(OpenAIError) as raised:
        api_key.check_api_key(event())
    assert raised.value.status == 500 and "set one" in raised.value.message
