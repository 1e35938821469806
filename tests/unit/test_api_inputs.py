"""The API checks every request body against a schema: no route reads a body without one."""

import ast

from tests.paths import ROOT


def test_every_body_read_names_its_schema():
    tree = ast.parse((ROOT / "functions" / "api" / "app.py").read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "body"
    ]
    assert calls, "the API reads no body at all?"
    bare = [node.lineno for node in calls if len(node.args) != 1]
    assert not bare, f"app.py reads a request body without a schema on lines {bare}"
