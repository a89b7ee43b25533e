"""Pipelines read from Python files (``lockgate run flow.py[:name]``): which pipeline, and what a bad file says."""

from __future__ import annotations

import sys
from datetime import timedelta
from textwrap import dedent
from typing import TYPE_CHECKING

import pytest

from lockgate.errors import DefinitionErrors
from lockgate.sdk import Pipeline
from lockgate.sdk.loading import is_python_target, load_pipeline, split_target

if TYPE_CHECKING:
    from pathlib import Path

ONE = """\
from lockgate import Pipeline

pipe = Pipeline("{name}")
pipe.transform("hello", value="hi")
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(dedent(text), encoding="utf-8")
    return path


def _problems(exc: pytest.ExceptionInfo[DefinitionErrors]) -> list[tuple[str | None, str | None, str]]:
    return [(e.node_id, e.field, e.detail) for e in exc.value.errors]


def test_the_one_pipeline_of_a_file_compiles_and_its_main_block_stays_out(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "flow.py", ONE.format(name="hello") + 'if __name__ == "__main__":\n    raise SystemExit(9)\n'
    )
    loaded = load_pipeline(path)
    assert (loaded.attribute, loaded.spec.name, [n.id for n in loaded.spec.nodes]) == ("pipe", "hello", ["hello"])
    assert loaded.plan.spec is loaded.spec and loaded.pipeline.spec() == loaded.spec
    assert loaded.module.__file__ == str(path.resolve())
    assert loaded.module.__name__ != "__main__"


def test_a_file_imports_its_siblings_and_leaves_sys_path_as_it_was(tmp_path: Path) -> None:
    _write(tmp_path, "shared.py", 'GREETING = "hello from a sibling"\n')
    path = _write(tmp_path, "flow.py", """\
        from lockgate import Pipeline
        from shared import GREETING

        pipe = Pipeline("sibling")
        pipe.transform("greet", value=GREETING)
        """)  # fmt: skip
    before = list(sys.path)
    loaded = load_pipeline(str(path))
    assert sys.path == before
    assert loaded.spec.nodes[0].config.model_dump()["value"] == "hello from a sibling"
    sys.modules.pop("shared", None)


def test_two_pipelines_need_a_name_and_the_error_lists_them(tmp_path: Path) -> None:
    path = _write(tmp_path, "two.py", """\
        from lockgate import Pipeline

        first = Pipeline("alpha")
        first.noop("a")
        second = Pipeline("beta")
        second.noop("b")
        also_first = first  # the same pipeline under another name is not a third
        """)  # fmt: skip
    with pytest.raises(DefinitionErrors) as exc:
        load_pipeline(path)
    [(_, _, message)] = _problems(exc)
    assert "defines 2 pipelines: first ('alpha'), second ('beta')" in message
    assert f"{path}:NAME" in message
    assert load_pipeline(f"{path}:second").spec.name == "beta"
    assert load_pipeline(f"{path}:also_first").attribute == "also_first"


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        (":missing", "'missing' is not defined; its pipelines: pipe ('one')"),
        (":Pipeline", "'Pipeline' is not a Pipeline"),
    ],
)
def test_a_name_that_is_no_pipeline_says_what_there_is(tmp_path: Path, suffix: str, expected: str) -> None:
    path = _write(tmp_path, "one.py", ONE.format(name="one"))
    with pytest.raises(DefinitionErrors) as exc:
        load_pipeline(f"{path}{suffix}")
    assert expected in _problems(exc)[0][2]


def test_a_file_without_a_pipeline(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.py", "X = 1\n")
    with pytest.raises(DefinitionErrors, match="defines no Pipeline at its top level"):
        load_pipeline(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import lockgate\nx = 1 / 0\n", "importing it failed (line 2): ZeroDivisionError: division by zero"),
        ("def broken(:\n    pass\n", "importing it failed (line 1): SyntaxError"),
        ("import no_such_module_here\n", "ModuleNotFoundError: No module named 'no_such_module_here'"),
        ("raise SystemExit(3)\n", "SystemExit: 3"),
    ],
    ids=["exception", "syntax", "import", "exit"],
)
def test_an_import_error_names_the_file_line_and_exception_and_keeps_the_cause(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, "bad.py", text)
    with pytest.raises(DefinitionErrors) as exc:
        load_pipeline(path)
    [(node_id, field, message)] = _problems(exc)
    assert (node_id, field) == (None, None)
    assert message.startswith(f"{path}: ") and expected in message
    assert exc.value.__cause__ is not None  # what `lockgate -v` prints the traceback of


def test_a_node_the_builder_refuses_is_reported_with_its_node_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, "refused.py", """\
        from lockgate import Pipeline

        pipe = Pipeline("refused")
        pipe.script("step", code="output = 1", timeout="forever")
        """)  # fmt: skip
    with pytest.raises(DefinitionErrors) as exc:
        load_pipeline(path)
    assert [(n, f) for n, f, _ in _problems(exc)] == [("step", "timeout")]


def test_every_problem_of_every_node_comes_in_one_report(tmp_path: Path) -> None:
    """Refused nodes do not stop the file: their problems join those of the graph, as for a YAML file."""
    path = _write(tmp_path, "tangled.py", """\
        from datetime import timedelta
        from lockgate import Pipeline

        pipe = Pipeline("tangled")
        a = pipe.noop("a", timeout=timedelta(seconds=-1))
        b = pipe.transform("b", a, value="{{ nodes.ghost.output }}")
        c = pipe.script("c", b, code="output = 1", memory_mb=1)
        c >> a
        """)  # fmt: skip
    with pytest.raises(DefinitionErrors) as exc:
        load_pipeline(path)
    where = [(n, f) for n, f, _ in _problems(exc)]
    assert sorted(where, key=str) == sorted(
        [("a", "timeout"), ("c", "config.memory_mb"), ("a", "edges"), ("b", "config.value")], key=str
    )
    assert "cycle: a → b → c → a" in [d for _, _, d in _problems(exc)]
    with pytest.raises(DefinitionErrors):  # outside a file load the builder still refuses at the call
        Pipeline("eager").noop("a", timeout=timedelta(seconds=-1))


def test_targets() -> None:
    assert is_python_target("flow.py") and is_python_target("dir/flow.py:pipe_2")
    assert not is_python_target("flow.yaml") and not is_python_target("flow.py:2bad")
    assert split_target("a/flow.py:pipe") == (split_target("a/flow.py")[0], "pipe")
    with pytest.raises(DefinitionErrors, match="is not a Python file"):
        split_target("flow.yaml")
    with pytest.raises(DefinitionErrors, match="no such file"):
        load_pipeline("nowhere/flow.py")


def test_a_file_is_named_as_a_worker_imports_it_so_its_tasks_refs_do_not_depend_on_where_it_lies(
    tmp_path: Path,
) -> None:
    package = tmp_path / "shop" / "flows"
    package.mkdir(parents=True)
    (tmp_path / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    path = _write(package, "billing.py", """\
        from lockgate import Pipeline

        pipe = Pipeline("billing", input={"n": int})

        @pipe.task()
        def double(n: int) -> int:
            return 2 * n
        """)  # fmt: skip
    loaded = load_pipeline(path)
    assert loaded.module.__name__ == "shop.flows.billing"
    assert loaded.spec.nodes[0].config.model_dump()["ref"] == "shop.flows.billing:double"
    assert str(tmp_path) not in sys.path


def test_a_file_whose_name_another_module_holds_is_refused_with_the_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "json.py", ONE.format(name="clash"))
    with pytest.raises(DefinitionErrors) as exc:
        load_pipeline(path)
    (problem,) = _problems(exc)
    assert "'json' is taken by" in problem[2] and "rename the file" in problem[2]
