"""Reading synthesized CloudFormation in tests: intrinsic functions flattened to plain strings."""

from __future__ import annotations

from typing import Any


def flatten(value: Any) -> Any:
    """Turn ``Fn::Join``/``Ref``/``Fn::GetAtt`` into ``${...}`` strings, recursively."""
    if isinstance(value, list):
        return [flatten(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return "${" + value["Ref"] + "}"
        if set(value) == {"Fn::GetAtt"}:
            return "${" + ".".join(value["Fn::GetAtt"]) + "}"
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(flatten(part)) for part in parts)
        return {key: flatten(item) for key, item in value.items()}
    return value


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The resources of one type, by logical id."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every AWS::IAM::Policy, flattened, with the policy's logical id."""
    statements = []
    for logical_id, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            statements.append({"Policy": logical_id, **flatten(statement)})
    return statements


def as_list(value: Any) -> list[Any]:
    """IAM's "one or many" fields as a list."""
    return value if isinstance(value, list) else [value]
