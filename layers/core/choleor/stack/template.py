"""Read template.yaml (CloudFormation short-form tags included) as plain data."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..config import repo_root


class _Loader(yaml.SafeLoader):
    pass


def _tag(name: str):
    def construct(loader: yaml.Loader, node: yaml.Node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short in (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Condition",
):
    _full = "Ref" if _short == "Ref" else ("Condition" if _short == "Condition" else f"Fn::{_short}")
    _Loader.add_constructor(f"!{_short}", _tag(_full))


def template_path() -> Path:
    root = repo_root()
    if root is None:
        raise FileNotFoundError("template.yaml not found next to this checkout")
    return root / "template.yaml"


def load(path: str | Path | None = None) -> dict:
    with open(path or template_path()) as f:
        return yaml.load(f, Loader=_Loader)


def resources_of_type(template: dict, type_name: str) -> dict[str, dict]:
    return {k: v for k, v in template.get("Resources", {}).items() if v.get("Type") == type_name}
