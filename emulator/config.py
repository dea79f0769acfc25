"""What one emulated function is (``FunctionConfig``) and the environment Lambda gives it.

The environment follows "Defined runtime environment variables" in the Lambda developer guide
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
the process sees only these variables, not the emulator's own environment, so a function that
works here does not depend on the developer's shell.
"""

import datetime
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from emulator.invocation import BUFFERED_RESPONSE_LIMIT, STREAMED_RESPONSE_LIMIT

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BOOTSTRAP = REPO_ROOT / "runtime" / "bootstrap"
# Lambda's own PATH and locale for OS-only runtimes.
LAMBDA_PATH = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
# The most a Managed Instances function may set (PerExecutionEnvironmentMaxConcurrency):
# https://docs.aws.amazon.com/lambda/latest/api/API_LambdaManagedInstancesCapacityProviderConfig.html
MAX_CONCURRENCY = 1600
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    """One function: its code, handler, settings, and the emulator's knobs for it.

    The two response limits are Lambda's; tests lower them to keep large-body cases fast.
    ``max_concurrency`` above 1 models a Lambda Managed Instances environment: that many
    invocations at once in one sandbox, JSON logs, no kill at the timeout.
    """

    handler: str
    code_dir: Path
    bootstrap: Path = DEFAULT_BOOTSTRAP
    function_name: str = "function"
    memory_mb: int = 128
    timeout: float = 3.0
    region: str = "us-east-1"
    account_id: str = "123456789012"
    env: Mapping[str, str] = field(default_factory=dict)
    python: str = sys.executable
    shape_bandwidth: bool = False
    init_timeout: float = 10.0
    buffered_response_limit: int = BUFFERED_RESPONSE_LIMIT
    streamed_response_limit: int = STREAMED_RESPONSE_LIMIT
    max_concurrency: int = 1

    def __post_init__(self) -> None:
        if not _FUNCTION_NAME.match(self.function_name):
            raise ValueError(
                f"function name {self.function_name!r}: use 1-64 letters, digits, '-' or '_'"
            )
        if self.timeout <= 0 or self.init_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if not 128 <= self.memory_mb <= 10240:
            raise ValueError(f"memory {self.memory_mb} MB: Lambda allows 128 to 10240")
        if not 1 <= self.max_concurrency <= MAX_CONCURRENCY:
            raise ValueError(
                f"max concurrency {self.max_concurrency}: use 1 (classic Lambda) "
                f"to {MAX_CONCURRENCY} (Lambda Managed Instances)"
            )
        log_format = self.env.get("AWS_LAMBDA_LOG_FORMAT", "JSON")
        if self.managed_instances and log_format != "JSON":
            raise ValueError(
                f"AWS_LAMBDA_LOG_FORMAT={log_format}: Lambda Managed Instances support only "
                "the JSON log format; drop the variable or set it to JSON"
            )

    @property
    def managed_instances(self) -> bool:
        """True when this models a Lambda Managed Instances environment."""
        return self.max_concurrency > 1

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"


def lambda_environment(config: FunctionConfig, runtime_api: str) -> dict[str, str]:
    """The environment of one sandbox process whose Runtime API listens on ``runtime_api``."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y/%m/%d")
    environment = {
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "_HANDLER": config.handler,
        "LAMBDA_TASK_ROOT": str(config.code_dir),
        "LAMBDA_RUNTIME_DIR": str(config.bootstrap.parent),
        "AWS_LAMBDA_FUNCTION_NAME": config.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{today}/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
        # Lambda hands every function its execution role's temporary credentials. There is no
        # role here: dummy values keep SDK clients constructible; real AWS calls will fail.
        "AWS_ACCESS_KEY_ID": "AKIAEMULATOR00000000",
        "AWS_SECRET_ACCESS_KEY": "emulator-secret-access-key-not-valid-on-aws",
        "AWS_SESSION_TOKEN": "emulator-session-token",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": LAMBDA_PATH,
        # Our bootstrap's interpreter choice: the emulator's own (venv) Python.
        "LAMBDA_STREAMING_PYTHON": config.python,
    }
    if config.managed_instances:
        # What Lambda sets on a Managed Instances environment:
        # https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-managed-instances
        environment["AWS_LAMBDA_MAX_CONCURRENCY"] = str(config.max_concurrency)
        environment["AWS_LAMBDA_INITIALIZATION_TYPE"] = "lambda-managed-instances"
        environment["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
    environment.update(config.env)
    return environment
