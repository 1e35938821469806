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


# Set by `make sam` for the local stack; empty in the template (the SDK's own endpoints on AWS).
ENDPOINT_VARS = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL_S3"]
# AWS Lambda's limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html);
# API Gateway's HTTP API waits 30 s at most for its integration.
MAX_MEMORY_MB, MAX_TIMEOUT_S, MAX_EPHEMERAL_MB, MAX_API_TIMEOUT_S = 10240, 900, 10240, 30


def _functions(t: dict) -> dict[str, dict]:
    return tpl.resources_of_type(t, "AWS::Serverless::Function")


def test_environment_sets_every_variable_the_core_reads():
    t = tpl.load(TEMPLATE)
    env = t["Globals"]["Function"]["Environment"]["Variables"]
    assert sorted(env) == sorted(config.ENV_VARS + ENDPOINT_VARS)
    assert all(env[v] == "" for v in ENDPOINT_VARS)
    tables = tpl.resources_of_type(t, "AWS::DynamoDB::Table")
    for logical, (var, default) in config.TABLES.items():
        assert env[var] == {"Ref": default} and default in tables, logical
    bucket = t["Resources"]["MediaBucket"]["Properties"]["BucketName"]
    assert env["CHOLEOR_BUCKET"] == bucket


def test_every_job_function_the_dispatcher_names_exists():
    from choleor.jobs.dispatch import DEFAULT_FUNCTION, LAMBDA_FUNCTIONS

    t = tpl.load(TEMPLATE)
    names = {res["Properties"].get("FunctionName", {}).get("Fn::Sub") for res in _functions(t).values()}
    for suffix in {DEFAULT_FUNCTION, *LAMBDA_FUNCTIONS.values()}:
        assert "${AWS::StackName}-" + suffix in names, suffix


def _code_dir(res: dict) -> Path:
    """The functions/ folder an image function's handler comes from."""
    meta = res["Metadata"]
    function = meta.get("DockerBuildArgs", {}).get("FUNCTION")
    return ROOT / "functions" / (function or Path(meta["Dockerfile"]).parent.name)


def test_every_function_is_an_image_whose_handler_exists():
    t = tpl.load(TEMPLATE)
    for name, res in _functions(t).items():
        props, meta = res["Properties"], res["Metadata"]
        assert props["PackageType"] == "Image", name
        assert (ROOT / meta["DockerContext"] / meta["Dockerfile"]).is_file(), name
        assert meta.get("DockerBuildArgs", {}).get("BASE", "light") in ("light", "heavy"), name
        module, func = props["ImageConfig"]["Command"][0].split(".")
        source = (_code_dir(res) / f"{module}.py").read_text()
        assert f"def {func}(" in source or f"{func} = " in source, name


def test_no_function_exceeds_a_lambda_limit():
    t = tpl.load(TEMPLATE)
    defaults = t["Globals"]["Function"]
    for name, res in _functions(t).items():
        props = {**defaults, **res["Properties"]}
        assert 128 <= props["MemorySize"] <= MAX_MEMORY_MB, name
        assert props["Timeout"] <= MAX_TIMEOUT_S, name
        assert props.get("EphemeralStorage", {}).get("Size", 512) <= MAX_EPHEMERAL_MB, name
        if any(e["Type"] == "HttpApi" for e in props.get("Events", {}).values()):
            assert props["Timeout"] < MAX_API_TIMEOUT_S, name
    assert t["Parameters"]["Architecture"]["AllowedValues"] == ["x86_64", "arm64"]
    assert defaults["Architectures"] == [{"Ref": "Architecture"}]


def test_every_chalice_route_reaches_the_api_exactly_once():
    """API Gateway routes each Chalice route to the light or the numeric function (Chalice needs
    the route's own path as resourcePath, so each is an event of its own, in payload format 1.0)."""
    from choleor.cli.webserver import load_chalice_app

    app = load_chalice_app(ROOT / "functions" / "api")
    want = sorted((m, path) for path, entries in app.routes.items() for m in entries)
    got = []
    for name, res in _functions(tpl.load(TEMPLATE)).items():
        for event in res["Properties"].get("Events", {}).values():
            if event["Type"] != "HttpApi" or not event["Properties"]["Path"].startswith("/api/"):
                continue
            assert _code_dir(res).name == "api", name
            assert event["Properties"]["PayloadFormatVersion"] == "1.0", name
            got.append((event["Properties"]["Method"], event["Properties"]["Path"]))
    assert sorted(got) == want


def test_the_image_locks_install_the_pinned_runtime_dependencies():
    import tomllib

    pinned = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert all("==" in d for d in pinned)

    def lock(name: str) -> dict[str, str]:
        lines = (ROOT / "infra" / "lambda" / f"{name}.lock").read_text().splitlines()
        return dict(ln.lower().split("==") for ln in lines if ln and not ln.startswith("#"))

    heavy, light = lock("heavy"), lock("light")
    for dep in pinned:
        name, version = dep.lower().split("==")
        assert heavy.get(name) == version, dep
        if name in ("boto3", "chalice"):
            assert light.get(name) == version, dep
    assert not {"numpy", "scipy", "onnxruntime"} & set(light)
    assert heavy["awslambdaric"] == light["awslambdaric"]


# Import names of the light image's packages (light.lock lists distributions).
_LIGHT_IMPORTS = {"python-dateutil": "dateutil", "snapshot-restore-py": "snapshot_restore_py"}

_IMPORT_ONLY = """
import importlib.abc, sys
allowed = set(sys.argv[1].split(",")) | set(sys.stdlib_module_names) | {"choleor", "app"}
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in allowed:
            raise ImportError(f"{name} is not in the light image")
sys.meta_path.insert(0, Refuse())
sys.path[:0] = [sys.argv[2], sys.argv[3]]
import app
"""


def test_functions_on_the_light_image_load_with_its_packages_only():
    """A function built on the light base (no numpy stack, no PyYAML) imports nothing else at load:
    an import the image lacks would fail every cold start of that function."""
    lines = (ROOT / "infra" / "lambda" / "light.lock").read_text().splitlines()
    dists = [ln.split("==")[0].lower() for ln in lines if ln and not ln.startswith("#")]
    allowed = ",".join(_LIGHT_IMPORTS.get(d, d.replace("-", "_")) for d in dists)
    light = {
        name: res
        for name, res in _functions(tpl.load(TEMPLATE)).items()
        if res["Metadata"].get("DockerBuildArgs", {}).get("BASE", "light") == "light"
    }
    assert {"ApiFunction", "JobSweepFunction", "WebFunction"} <= set(light)
    for name, res in light.items():
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_ONLY, allowed, str(_code_dir(res)), str(ROOT / "layers" / "core")],
            capture_output=True,
            text=True,
            cwd=_code_dir(res),
        )
        assert out.returncode == 0, (name, out.stderr[-1500:])
