"""Optional public entry points in front of a streaming Function URL or function.

- CloudFront with Origin Access Control: the Function URL keeps ``AWS_IAM`` auth and only the
  distribution may call it (CloudFront signs each request with SigV4). Caching is off and all
  viewer headers but Host reach the function. Browsers that POST through it must send
  ``x-amz-content-sha256`` (the SHA-256 of the body): Lambda does not accept unsigned payloads
  through OAC (CloudFront developer guide, "Restricting access to an AWS Lambda function URL
  origin").
- API Gateway REST API with ``ResponseTransferMode.STREAM`` (aws-cdk-lib >= 2.230): a Lambda
  proxy integration that invokes with InvokeWithResponseStream. Regional endpoint (idle
  timeout 5 minutes; edge-optimized ones stop after 30 s), 15 minutes at most.

Each builder returns the resource; the construct exposes it. Neither touches the function.
The REST API's function must send the HTTP prelude (statusCode, headers, 8 NUL bytes) within
its first 16 KB; the streaming runtime sends a default one for API Gateway events.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, Names
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

#: CloudFront's origin read timeout without a quota increase. CDK's FunctionUrlOriginProps
#: (readTimeout): "If you need to increase the value above 60 seconds, you need to request a
#: quota increase"; a larger value without one fails at deploy time.
DEFAULT_READ_TIMEOUT = Duration.seconds(60)
#: The largest read timeout CloudFront accepts at all, with an increased quota.
MAX_READ_TIMEOUT = Duration.seconds(180)
#: OAC names are unique per account (all Regions) and at most 64 characters.
_OAC_NAME_PREFIX = 64 - 1 - len("ap-southeast-7")


def check_read_timeout(read_timeout: Duration) -> None:
    """Fail with the fix unless CloudFront can accept ``read_timeout`` (1-180 s)."""
    seconds = read_timeout.to_seconds()
    if not 1 <= seconds <= MAX_READ_TIMEOUT.to_seconds():
        raise ValueError(
            f"cloudfront_read_timeout={seconds} s: CloudFront accepts 1 to 180 s, and more than "
            "60 s only after a quota increase (Service Quotas, 'Response timeout per origin')."
        )


def cloudfront_distribution(
    scope: Construct,
    function_url: lambda_.IFunctionUrl,
    timeout: Duration,
    read_timeout: Duration = DEFAULT_READ_TIMEOUT,
) -> cloudfront.Distribution:
    """A distribution whose only origin is ``function_url``, signed with OAC, never cached.

    ``read_timeout`` bounds the wait for the first byte and between bytes (default 60 s, the
    quota every account has); the whole response may take up to the function's ``timeout``.
    """
    check_read_timeout(read_timeout)
    access_control = cloudfront.FunctionUrlOriginAccessControl(
        scope,
        "OriginAccessControl",
        # The Region in the name: the same stack deployed to a second Region of the account
        # must not collide with the first one's OAC.
        origin_access_control_name=Fn.join(
            "-", [Names.unique_resource_name(scope, max_length=_OAC_NAME_PREFIX), Aws.REGION]
        ),
        description="Signs CloudFront's requests to the streaming Function URL (SigV4)",
    )
    origin = origins.FunctionUrlOrigin.with_origin_access_control(
        function_url,
        origin_access_control=access_control,
        read_timeout=Duration.seconds(min(read_timeout.to_seconds(), timeout.to_seconds())),
        response_completion_timeout=Duration.seconds(max(timeout.to_seconds(), 1)),
    )
    return cloudfront.Distribution(
        scope,
        "Distribution",
        comment="Streaming Lambda Function URL behind Origin Access Control",
        default_behavior=cloudfront.BehaviorOptions(
            origin=origin,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            compress=False,  # compressing would hold chunks back until a block fills
        ),
        http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        price_class=cloudfront.PriceClass.PRICE_CLASS_100,
    )


def streaming_rest_api(
    scope: Construct, function: lambda_.IFunction, *, iam_auth: bool, stream: bool = True
) -> apigateway.RestApi:
    """A regional REST API proxying every path and method to ``function``.

    ``stream=False`` gives the classic buffered proxy (29 s, 10 MB) for buffered handlers.
    """
    integration = apigateway.LambdaIntegration(
        function,
        proxy=True,
        response_transfer_mode=apigateway.ResponseTransferMode.STREAM
        if stream
        else apigateway.ResponseTransferMode.BUFFERED,
        timeout=Duration.minutes(15) if stream else Duration.seconds(29),
    )
    api = apigateway.RestApi(
        scope,
        "RestApi",
        description="Proxies every path and method to the function"
        + (" and streams its response" if stream else ""),
        endpoint_types=[apigateway.EndpointType.REGIONAL],
        cloud_watch_role=False,
        deploy_options=apigateway.StageOptions(tracing_enabled=True),
        default_method_options=apigateway.MethodOptions(
            authorization_type=apigateway.AuthorizationType.IAM
            if iam_auth
            else apigateway.AuthorizationType.NONE
        ),
    )
    api.root.add_method("ANY", integration)
    api.root.add_proxy(default_integration=integration, any_method=True)
    return api
