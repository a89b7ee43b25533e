"""Every pipeline in ``examples/`` has a twin in ``examples/sdk/`` building the same spec, read as the server would."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from lockgate.compile import compile_pipeline
from lockgate.sdk import Pipeline
from lockgate.sdk.loading import load_pipeline
from lockgate.spec import parse_spec

ROOT = Path(__file__).resolve().parents[2]
SDK_EXAMPLES = sorted((ROOT / "examples" / "sdk").glob("*.py"))
YAML_EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def _pipeline(path: Path) -> Pipeline:
    module = importlib.import_module(f"examples.sdk.{path.stem}")
    pipe = module.pipe
    assert isinstance(pipe, Pipeline), f"{path.name} defines `pipe`, a Pipeline"
    return pipe


def test_there_are_sdk_examples() -> None:
    assert len(SDK_EXAMPLES) >= 3


@pytest.mark.parametrize("path", YAML_EXAMPLES, ids=lambda p: p.stem)
def test_every_yaml_example_has_an_sdk_twin(path: Path) -> None:
    assert (ROOT / "examples" / "sdk" / f"{path.stem}.py").is_file(), f"{path.name} has no twin in examples/sdk/"


@pytest.mark.parametrize("path", SDK_EXAMPLES, ids=lambda p: p.stem)
def test_sdk_example_equals_its_yaml_twin(path: Path) -> None:
    twin = ROOT / "examples" / f"{path.stem}.yaml"
    assert twin.is_file(), f"{path.name} has no YAML twin {twin.name}"
    expected = parse_spec(twin.read_text(encoding="utf-8"), "yaml")  # as POST /api/v1/pipelines reads it
    spec = _pipeline(path).spec()
    assert spec == expected
    assert spec.content_hash() == expected.content_hash(), "the same pipeline version on the server"
    compile_pipeline(spec)


@pytest.mark.parametrize("path", SDK_EXAMPLES, ids=lambda p: p.stem)
def test_sdk_example_as_lockgate_run_reads_it(path: Path) -> None:
    """``lockgate run|apply examples/sdk/X.py`` import the file by its path: the same version as the YAML."""
    twin = parse_spec((ROOT / "examples" / f"{path.stem}.yaml").read_text(encoding="utf-8"), "yaml")
    loaded = load_pipeline(path)
    assert loaded.attribute == "pipe"
    assert loaded.spec.content_hash() == twin.content_hash()


@pytest.mark.parametrize("path", SDK_EXAMPLES, ids=lambda p: p.stem)
def test_sdk_example_yaml_reads_back(path: Path) -> None:
    pipe = _pipeline(path)
    assert parse_spec(pipe.to_yaml(), "yaml") == pipe.spec()


@pytest.mark.parametrize("path", SDK_EXAMPLES, ids=lambda p: p.stem)
def test_sdk_example_is_documented(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f'"""{path.name} — examples/{path.stem}.yaml in code'), "the docstring names its twin"
