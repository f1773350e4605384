"""Finding the code in a model's answer, parsing it, and assembling the program to test."""

from __future__ import annotations

import ast

import pytest
from sustain_verifiers.code import (
    CodeExtraction,
    assemble_program,
    defines,
    extract_code,
    is_wrapped_body,
    parse_code,
)

PROMPT = (
    "from typing import List\n\n\n"
    "def add(a: int, b: int) -> int:\n"
    '    """Add two numbers.\n'
    "    >>> add(1, 2)\n"
    "    3\n"
    '    """\n'
)


def run(program: str, name: str = "add") -> object:
    """The function ``name`` defined by ``program`` (trusted test code only)."""
    namespace: dict[str, object] = {}
    exec(compile(program, "<program>", "exec", dont_inherit=True), namespace)
    return namespace[name]


# -- extraction -------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["python", "py", "Python3", ""])
def test_fenced_block_with_or_without_a_tag(tag: str) -> None:
    output = f"Here it is:\n```{tag}\ndef f(x):\n    return x + 1\n```\nHope this helps."
    assert extract_code(output) == CodeExtraction("def f(x):\n    return x + 1\n", "fenced")


def test_tilde_fence() -> None:
    output = "~~~python\ndef f():\n    return 1\n~~~\n"
    assert extract_code(output) == CodeExtraction("def f():\n    return 1\n", "fenced")


def test_last_complete_block_wins() -> None:
    output = ("First try:\n```python\ndef f(x): return 1\n```\n"
              "Better:\n```python\ndef f(x): return 2\n```\n")
    assert extract_code(output, "f") == CodeExtraction("def f(x): return 2\n", "fenced")


def test_block_defining_the_entry_point_beats_a_later_usage_example() -> None:
    output = ("```python\ndef add(a, b):\n    return a + b\n```\n"
              "Example:\n```python\nprint(add(1, 2))\n```\n")
    extraction = extract_code(output, "add")
    assert extraction == CodeExtraction("def add(a, b):\n    return a + b\n", "fenced")


def test_block_defining_the_entry_point_beats_a_later_block_with_another_function() -> None:
    output = ("```python\ndef add(a, b):\n    return a + b\n```\n"
              "A test:\n```python\ndef test_add():\n    assert add(1, 2) == 3\n```\n")
    assert extract_code(output, "add") == CodeExtraction(
        "def add(a, b):\n    return a + b\n", "fenced")


def test_without_entry_point_a_block_with_a_function_beats_a_usage_example() -> None:
    output = ("```python\ndef add(a, b):\n    return a + b\n```\n"
              "```python\nprint(add(1, 2))\n```\n")
    assert extract_code(output) == CodeExtraction("def add(a, b):\n    return a + b\n", "fenced")


def test_python_blocks_are_preferred_over_other_languages() -> None:
    output = ("```python\ndef f():\n    return 1\n```\n"
              "```bash\npython solution.py\n```\n")
    assert extract_code(output) == CodeExtraction("def f():\n    return 1\n", "fenced")


def test_unclosed_fence_at_the_end() -> None:
    output = "Sure:\n```python\ndef f(x):\n    return x * 2"
    assert extract_code(output) == CodeExtraction("def f(x):\n    return x * 2",
                                                  "unclosed_fence")


def test_full_function_with_imports_unfenced() -> None:
    output = "import math\n\n\ndef root(x):\n    return math.sqrt(x)\n"
    assert extract_code(output, "root") == CodeExtraction(output, "whole")


def test_bare_body_continuing_the_prompt() -> None:
    output = "    result = a + b\n    return result\n"
    extraction = extract_code(output, "add")
    assert extraction == CodeExtraction(output, "whole")
    assert run(assemble_program(extraction.code, PROMPT, "add"))(2, 3) == 5  # type: ignore[operator]


def test_bare_body_without_indentation() -> None:
    output = "result = a + b\nreturn result\n"
    extraction = extract_code(output, "add")
    assert extraction is not None
    program = assemble_program(extraction.code, PROMPT, "add")
    assert program.endswith("    result = a + b\n    return result\n")
    assert run(program)(2, 3) == 5  # type: ignore[operator]


def test_prose_before_and_after_unfenced_code_is_dropped() -> None:
    output = ("Here is my solution:\n"
              "def add(a, b):\n"
              "    return a + b\n"
              "This works because addition is commutative.\n")
    assert extract_code(output, "add") == CodeExtraction(
        "def add(a, b):\n    return a + b\n", "trimmed")


def test_prose_before_unfenced_imports_and_function() -> None:
    output = ("The answer uses the math module.\n"
              "import math\n"
              "def root(x):\n"
              "    return math.sqrt(x)\n")
    extraction = extract_code(output, "root")
    assert extraction is not None
    assert extraction.method == "trimmed"
    assert extraction.code.startswith("import math\n")
    assert run(extraction.code, "root")(16) == 4.0  # type: ignore[operator]


@pytest.mark.parametrize("output", ["", "   \n\n", "I cannot help with that.",
                                    "Sorry, no code this time: it is too hard!"])
def test_no_code_gives_none(output: str) -> None:
    assert extract_code(output) is None


def test_windows_line_endings() -> None:
    output = "```python\r\ndef f():\r\n    return 1\r\n```\r\n"
    assert extract_code(output) == CodeExtraction("def f():\n    return 1\n", "fenced")


def test_very_long_output_is_read_from_its_end() -> None:
    output = "blah " * 50_000 + "\n```python\ndef f():\n    return 1\n```\n"
    assert extract_code(output) == CodeExtraction("def f():\n    return 1\n", "fenced")


# -- parsing ----------------------------------------------------------------------------------

def test_parse_code_on_a_module() -> None:
    tree = parse_code("import os\n\ndef f():\n    return os.sep\n")
    assert tree is not None
    assert defines(tree, "f")
    assert not defines(tree, "g")
    assert not is_wrapped_body(tree)


@pytest.mark.parametrize("body", ["    x = 1\n    return x + 1\n", "x = 1\nreturn x + 1\n",
                                  "    for i in range(3):\n        yield i\n"])
def test_parse_code_on_a_bare_body_wraps_it_in_a_function(body: str) -> None:
    tree = parse_code(body)
    assert tree is not None
    assert is_wrapped_body(tree)
    assert len(tree.body) == 1
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert isinstance(function.body[-1], ast.Return | ast.Expr | ast.For)


@pytest.mark.parametrize("code", ["", "  \n", "this is ( not python", "def f(:\n"])
def test_parse_code_rejects_what_is_not_python(code: str) -> None:
    assert parse_code(code) is None


# -- assembly ---------------------------------------------------------------------------------

def test_assemble_without_prompt_returns_the_code() -> None:
    assert assemble_program("def f():\n    return 1\n") == "def f():\n    return 1\n"


def test_assemble_full_definition_after_the_prompt() -> None:
    code = "def add(a, b):\n    return sum([a, b])\n"
    program = assemble_program(code, PROMPT, "add")
    assert program.startswith(PROMPT)
    assert program.endswith(code)
    assert run(program)(2, 3) == 5  # type: ignore[operator]


def test_assemble_keeps_the_prompts_imports_for_a_full_definition() -> None:
    code = "def add(a, b):\n    xs: List[int] = [a, b]\n    return sum(xs)\n"
    assert run(assemble_program(code, PROMPT, "add"))(1, 1) == 2  # type: ignore[operator]


def test_assemble_indented_body_continues_the_signature() -> None:
    program = assemble_program("    return a + b\n", PROMPT, "add")
    assert program == PROMPT + "    return a + b\n"


def test_assemble_prompt_without_final_newline() -> None:
    program = assemble_program("    return a * b\n", PROMPT.rstrip("\n"), "add")
    assert run(program)(2, 3) == 6  # type: ignore[operator]


def test_assemble_body_with_other_indentation_is_reindented() -> None:
    program = assemble_program("  total = a + b\n  return total\n", PROMPT, "add")
    assert run(program)(4, 5) == 9  # type: ignore[operator]


def test_assemble_full_definition_with_helper() -> None:
    code = "def helper(x):\n    return x\n\ndef add(a, b):\n    return helper(a) + b\n"
    assert run(assemble_program(code, PROMPT, "add"))(1, 2) == 3  # type: ignore[operator]


def test_assemble_code_that_is_not_python_is_kept_for_the_runner_to_reject() -> None:
    program = assemble_program("this is ( not python", PROMPT, "add")
    assert program.startswith(PROMPT)
    assert "this is ( not python" in program
