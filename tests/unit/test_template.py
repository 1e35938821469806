"""template.yaml: cfn-lint clean, and every name it refers to exists."""

import subprocess
import sys
from pathlib import Path

from choleor import config
from choleor.stack import template as tpl
from tests.paths import ROOT

TEMPLATE = ROOT / "template.yaml"
PSEUDO = {
    "AWS::AccountId",
    "AWS::Region",
    "AWS::StackName",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::StackId",
    "AWS::NoValue",
}
# Resources SAM generates from the functions' events.
SAM_IMPLICIT = {"ServerlessHttpApi"}


def test_cfn_lint_is_clean():
    out = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def _walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _sub_names(text: str) -> list[str]:
    import re

    return [m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)]


def test_every_ref_getatt_and_sub_names_something_defined():
    t = tpl.load(TEMPLATE)
    defined = set(t["Resources"]) | set(t.get("Parameters", {})) | PSEUDO | SAM_IMPLICIT
    missing = []
    for node in _walk(t):
        if "Ref" in node and node["Ref"] not in defined:
            missing.append(("Ref", node["Ref"]))
        if "Fn::GetAtt" in node and node["Fn::GetAtt"][0] not in defined:
            missing.append(("GetAtt", node["Fn::GetAtt"][0]))
        if "Fn::Sub" in node:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            missing += [("Sub", n) for n in _sub_names(text) if n not in defined]
    assert missing == []


def test_environment_sets_every_variable_the_core_reads():
    t = tpl.load(TEMPLATE)
    env = t["Globals"]["Function"]["Environment"]["Variables"]
    assert sorted(env) == config.ENV_VARS
    tables = tpl.resources_of_type(t, "AWS::DynamoDB::Table")
    for logical, (var, default) in config.TABLES.items():
        assert env[var] == {"Ref": default} and default in tables, logical
    bucket = t["Resources"]["MediaBucket"]["Properties"]["BucketName"]
    assert env["CHOLEOR_BUCKET"] == bucket


def test_every_job_function_the_dispatcher_names_exists():
    from choleor.jobs.dispatch import DEFAULT_FUNCTION, LAMBDA_FUNCTIONS

    t = tpl.load(TEMPLATE)
    names = {
        res["Properties"].get("FunctionName", {}).get("Fn::Sub")
        for res in tpl.resources_of_type(t, "AWS::Serverless::Function").values()
    }
    for suffix in {DEFAULT_FUNCTION, *LAMBDA_FUNCTIONS.values()}:
        assert "${AWS::StackName}-" + suffix in names, suffix


def test_every_function_folder_has_its_handler():
    t = tpl.load(TEMPLATE)
    for name, res in tpl.resources_of_type(t, "AWS::Serverless::Function").items():
        code = ROOT / res["Properties"]["CodeUri"]
        module, func = res["Properties"]["Handler"].split(".")
        source = (code / f"{module}.py").read_text()
        assert f"def {func}(" in source or f"{func} = " in source, name


def test_the_core_layer_installs_the_pinned_runtime_dependencies():
    import tomllib

    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [
        ln.strip()
        for ln in (ROOT / "layers" / "core" / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines == pinned and all("==" in d for d in pinned)
