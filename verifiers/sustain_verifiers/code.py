"""Python code in model outputs: finding it, parsing it, and assembling a runnable program.

Extraction (:func:`extract_code`) is separate from running the program
(:mod:`sustain_verifiers.execution`). It accepts the forms real models write, most explicit
first:

1. fenced blocks (```` ```python ````, ```` ```py ````, or no language tag): among the complete
   Python blocks, the last one that defines the function under test (when its name is known),
   else the last one that defines any function, else the last one. A usage example in a later
   block does not hide the solution::

       ```python
       def add(a, b): return a + b
       ```
       Example: ```python
       print(add(1, 2))
       ```                        -> the first block

2. an unclosed fence at the end (a truncated output): the text after it;
3. no fence: the whole output when it parses as Python (a full function with its imports, or a
   bare body continuing the prompt's signature), else the longest run of lines that starts at
   the first line of code (``def``, ``class``, ``import``, ``from``, ``@``) and parses, so
   prose before and after the code is dropped.

Parsing (:func:`parse_code`) turns extracted code into an ``ast`` module, also for a bare
function body (indented lines that only parse inside a function). Assembly
(:func:`assemble_program`) joins a HumanEval-style prompt and the extracted code: a full
definition of the entry point is appended after the prompt (so the prompt's imports and helper
functions stay available), a bare body continues the prompt's signature.
"""

from __future__ import annotations

import ast
import re
import textwrap
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = [
    "MAX_CODE_CHARS",
    "WRAPPER_NAME",
    "CodeExtraction",
    "assemble_program",
    "defines",
    "extract_code",
    "is_wrapped_body",
    "parse_code",
    "parse_python",
]

WRAPPER_NAME = "_body"
"""Name of the function :func:`parse_code` wraps a bare body in."""

MAX_CODE_CHARS = 50_000
"""Outputs longer than this are read from their last part only (extraction stays fast)."""

Method = Literal["fenced", "unclosed_fence", "whole", "trimmed"]

_FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+.#-]*)[^\n]*$", re.MULTILINE)
_PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3", "python3.11", "ipython",
                          "pycon", "sage"})
_CODE_START_RE = re.compile(r"^(?:def |async def |class |import |from \S+ import |@)")
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class CodeExtraction:
    """The code found in an output.

    Attributes:
        code: The extracted source text (not necessarily valid Python).
        method: Which rule found it: ``fenced``, ``unclosed_fence``, ``whole`` or ``trimmed``.
    """

    code: str
    method: Method


@dataclass(frozen=True)
class _Block:
    tag: str
    body: str
    closed: bool


def _blocks(text: str) -> list[_Block]:
    """Fenced blocks in order; an opening fence without its closing fence ends the text."""
    blocks: list[_Block] = []
    pos = 0
    while True:
        opening = _FENCE_RE.search(text, pos)
        if opening is None:
            return blocks
        fence = opening.group(1)
        tag = opening.group(2).lower()
        start = opening.end() + 1
        closing_re = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$",
                                re.MULTILINE)
        closing = closing_re.search(text, start)
        if closing is None:
            blocks.append(_Block(tag, text[start:], closed=False))
            return blocks
        blocks.append(_Block(tag, text[start:closing.start()], closed=True))
        pos = closing.end()


@lru_cache(maxsize=32)
def parse_code(code: str) -> ast.Module | None:
    """``code`` as an ``ast`` module, or None when it is not Python (cached: extraction and
    several constraint checks parse the same code; treat the tree as read-only).

    A bare function body (indented lines, or lines with ``return`` or ``yield`` outside a
    function) is parsed as the body of a function called :data:`WRAPPER_NAME`, so the module
    then holds that one definition, on line 1, wrapping it (see :func:`is_wrapped_body`).
    """
    if not code.strip():
        return None
    for candidate in (code, textwrap.dedent(code)):
        tree = _parse(candidate)
        if tree is not None:
            if not _returns_outside_function(tree):
                return tree
            break  # ``ast.parse`` accepts ``return`` at module level: a body after all
    body = textwrap.indent(textwrap.dedent(code), "    ")
    return _parse(f"def {WRAPPER_NAME}():\n" + body)


def _returns_outside_function(tree: ast.Module) -> bool:
    """Whether the module has a ``return`` or ``yield`` outside any function: a bare body."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return | ast.Yield | ast.YieldFrom):
            return True
        if not isinstance(node, (*_FUNCTION_NODES, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _is_program(source: str) -> bool:
    """Whether ``source`` parses with no ``return`` outside a function (``ast.parse`` accepts
    one; compiling does not)."""
    tree = _parse(source)
    return tree is not None and not _returns_outside_function(tree)


_AST_LOCK = threading.Lock()


def parse_python(source: str) -> ast.Module:
    """``ast.parse(source)``, one call at a time in the process.

    CPython before 3.12 keeps the recursion depth of its AST constructor in state shared by
    all threads, so two ``ast.parse`` calls in different threads (Inspect scores samples in
    worker threads) can fail with ``SystemError: AST constructor recursion depth mismatch``.
    Every parse in this package goes through here.
    """
    with _AST_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in model code
        return ast.parse(source)


def _parse(source: str) -> ast.Module | None:
    try:
        return parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def defines(tree: ast.Module, name: str | None = None) -> bool:
    """Whether ``tree`` defines a top-level function (called ``name``, when given)."""
    return any(isinstance(node, _FUNCTION_NODES) and (name is None or node.name == name)
               for node in tree.body)


def _pick_block(blocks: list[_Block], entry_point: str | None) -> _Block | None:
    python = [b for b in blocks if b.closed and b.tag in _PYTHON_TAGS and b.body.strip()]
    if not python:
        python = [b for b in blocks if b.closed and b.body.strip()]
    if not python:
        return None
    trees = [(b, parse_code(b.body)) for b in python]
    if entry_point:
        named = [b for b, tree in trees if tree is not None and defines(tree, entry_point)]
        if named:
            return named[-1]
    with_function = [b for b, tree in trees
                     if tree is not None and defines(tree) and not is_wrapped_body(tree)]
    if with_function:
        return with_function[-1]
    return python[-1]


def is_wrapped_body(tree: ast.Module) -> bool:
    """Whether ``tree`` is a bare body that :func:`parse_code` wrapped in a function."""
    return (len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef)
            and tree.body[0].name == WRAPPER_NAME)


def _trim(text: str) -> str | None:
    """The longest run of lines from the first line of code that parses (prose dropped)."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _CODE_START_RE.match(line)]
    if not starts:
        return None
    first = starts[0]
    for end in range(len(lines), first, -1):
        chunk = "\n".join(lines[first:end]).rstrip()
        if chunk and _parse(chunk) is not None:
            return chunk + "\n"
    return None


def extract_code(output: str, entry_point: str | None = None) -> CodeExtraction | None:
    """The code written in ``output`` (see the module docstring), or None when there is none.

    Args:
        output: A model's answer.
        entry_point: The name of the function under test, when known: a fenced block that
            defines it is preferred over later blocks.
    """
    text = output[-MAX_CODE_CHARS:].replace("\r\n", "\n")
    if not text.strip():
        return None
    blocks = _blocks(text)
    chosen = _pick_block(blocks, entry_point)
    if chosen is not None:
        return CodeExtraction(chosen.body, "fenced")
    if blocks and not blocks[-1].closed and blocks[-1].body.strip():
        return CodeExtraction(blocks[-1].body, "unclosed_fence")
    if parse_code(text) is not None:
        return CodeExtraction(text, "whole")
    trimmed = _trim(text)
    if trimmed is not None:
        return CodeExtraction(trimmed, "trimmed")
    return None


def assemble_program(code: str, prompt: str = "", entry_point: str | None = None) -> str:
    """The program to test: ``code`` joined to a code ``prompt`` (HumanEval style).

    - no prompt: the code as it is;
    - the code defines ``entry_point`` (or, with no entry point named, parses as a module):
      the prompt, then the code, so the prompt's imports and helpers stay defined and the
      code's definition replaces the prompt's unfinished one;
    - otherwise the code is a body continuing the prompt's signature: the prompt followed by
      the code, re-indented when the model dropped the indentation.
    """
    if not prompt:
        return code
    head = prompt if prompt.endswith("\n") else prompt + "\n"
    tree = _parse(code)
    if tree is not None and (defines(tree, entry_point) if entry_point else defines(tree)):
        return f"{head}\n{code}"
    continued = head + code
    if _is_program(continued):
        return continued
    indented = head + textwrap.indent(textwrap.dedent(code), "    ")
    if _is_program(indented):
        return indented
    if tree is not None:
        return f"{head}\n{code}"
    return continued
