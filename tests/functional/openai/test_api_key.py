"""The bearer-key check of a public deployment: the key read by the function's own boto3 from
(fake) Secrets Manager or SSM, the openai SDK's ``api_key`` sent as ``Authorization: Bearer``."""

from collections.abc import Iterator

import openai
import pytest

from .conftest import Start
from .fake_aws import FakeSecrets

KEY = "sk-demo-0123456789abcdef"


@pytest.fixture(scope="module")
def secrets() -> Iterator[FakeSecrets]:
    with FakeSecrets({"openai-demo-key": KEY}, {"/demo/openai-key": KEY}) as fake:
        yield fake


def ask(url: str, api_key: str) -> str:
    with openai.OpenAI(base_url=f"{url}/v1", api_key=api_key, max_retries=0) as client:
        stream = client.chat.completions.create(
            model="claude-haiku-4.5", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        return "".join(chunk.choices[0].delta.content or "" for chunk in stream)


def secret_url(function: Start, secrets: FakeSecrets, secret_id: str) -> str:
    emulator = function(API_KEY_SECRET_ID=secret_id, AWS_ENDPOINT_URL_SECRETS_MANAGER=secrets.url)
    return emulator.function_url.rstrip("/")


def test_the_right_key_from_secrets_manager_is_let_in_and_read_once(
    function: Start, secrets: FakeSecrets
) -> None:
    url = secret_url(function, secrets, "openai-demo-key")
    before = len(secrets.calls)
    for _ in range(3):
        assert ask(url, KEY).startswith("Hello!")
    reads = secrets.calls[before:]
    assert set(reads) == {("secret", "openai-demo-key")}
    assert len(reads) <= 2  # once per sandbox (two at most), then cached


@pytest.mark.parametrize("given", ["sk-wrong", KEY[:-1], KEY + "0"])
def test_a_wrong_key_is_a_401(function: Start, secrets: FakeSecrets, given: str) -> None:
    url = secret_url(function, secrets, "openai-demo-key")
    with pytest.raises(openai.AuthenticationError) as raised:
        ask(url, given)
    assert raised.value.code == "invalid_api_key"
    assert KEY not in str(raised.value.body)


def test_no_key_at_all_is_a_401_that_says_how_to_send_one(
    function: Start, secrets: FakeSecrets
) -> None:
    url = secret_url(function, secrets, "openai-demo-key")
    # The SDK always sends its key; omit the header to send none at all.
    with (
        openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0) as client,
        pytest.raises(openai.AuthenticationError) as raised,
    ):
        client.models.list(extra_headers={"Authorization": openai.Omit()})
    assert "Bearer" in raised.value.message


def test_the_key_can_live_in_ssm(function: Start, secrets: FakeSecrets) -> None:
    emulator = function(API_KEY_PARAMETER="/demo/openai-key", AWS_ENDPOINT_URL_SSM=secrets.url)
    url = emulator.function_url.rstrip("/")
    assert ask(url, KEY).startswith("Hello!")
    with pytest.raises(openai.AuthenticationError):
        ask(url, "sk-wrong")
    assert ("parameter", "/demo/openai-key") in secrets.calls


def test_a_key_that_cannot_be_read_is_a_500_without_details(
    function: Start, secrets: FakeSecrets
) -> None:
    url = secret_url(function, secrets, "no-such-secret")
    with pytest.raises(openai.InternalServerError) as raised:
        ask(url, KEY)
    assert raised.value.body == {
        "message": "the function could not read its API key",
        "type": "server_error",
        "param": None,
        "code": None,
    }


def test_without_a_configured_key_any_caller_is_let_in(url: str) -> None:
    assert ask(url, "anything").startswith("Hello!")
