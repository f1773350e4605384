"""Golden tests for the ``code`` kinds: checks on the extracted program, candidates, texts."""

from __future__ import annotations

import ast
import textwrap

import pytest

from sustain_tasks.constraints import (
    CONFLICTS,
    Constraint,
    SourceContext,
    all_kinds,
    conflicts,
    constraint_from_record,
    extract_constraints,
    leaks_answer,
    validate_set,
)
from sustain_tasks.constraints.code import (
    CONSTRUCTS,
    AvoidsConstruct,
    Docstring,
    MaxFunctionLines,
    MaxLineLength,
    MaxNestingDepth,
    NamingStyle,
    NoDocstring,
    NoImports,
    NoPrint,
    OnlyImports,
    SingleFunction,
    TypeHints,
    UsesConstruct,
    function_lines,
    imported_modules,
    is_wrapped_body,
    nesting_depth,
    program,
    program_tree,
)
from sustain_tasks.constraints.format import FencedCodeBlock
from sustain_tasks.constraints.length import MaxLines, MaxWords
from sustain_tasks.constraints.lexical import IncludeWord, StartsWith
from sustain_tasks.errors import SustainInputError

CODE_KINDS = sorted(k for k, cls in all_kinds().items() if cls.category == "code")
CTX = SourceContext(task="t", item_id="1")


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# a model's answer: prose, a fenced block with a full function, more prose
FENCED = _d('''
    Here is a solution that sorts the words by length.

    ```python
    from collections import Counter
    import math


    def longest_words(sentence: str, k: int = 3) -> list[str]:
        """Return the k longest words of the sentence."""
        words = [w.strip(".,!?") for w in sentence.split()]
        counts = Counter(words)
        ranked = sorted(counts, key=lambda w: (-len(w), w))
        result = []
        for word in ranked:
            if len(result) >= k:
                break
            result.append(word)
        return result[: math.floor(k)]
    ```

    The lambda orders words by decreasing length, then alphabetically.
''')

# HumanEval style: a bare indented body continuing the prompt's signature
BARE_BODY = (
    "    for idx, elem in enumerate(numbers):\n"
    "        for idx2, elem2 in enumerate(numbers):\n"
    "            if idx != idx2:\n"
    "                distance = abs(elem - elem2)\n"
    "                if distance < threshold:\n"
    "                    return True\n"
    "\n"
    "    return False\n"
)

# MBPP style: a full function with its import, no fence, no docstring, recursion
FULL = _d('''
    import sys

    def fib_memo(n, memo=None):
        if memo is None:
            memo = {}
        if n < 2:
            return n
        elif n in memo:
            return memo[n]
        memo[n] = fib_memo(n - 1, memo) + fib_memo(n - 2, memo)
        return memo[n]

    print(fib_memo(10), file=sys.stderr)
''')

CAMEL = _d('''
    ```python
    def maxValue(numberList):
        bestSoFar = numberList[0]
        for item in numberList:
            if item > bestSoFar:
                bestSoFar = item
        return bestSoFar
    ```
''')

UNPARSEABLE = [
    "The answer is 42.",
    "```python\ndef broken(:\n    return\n```",
    "I could not write the code, sorry.",
    "",
]


GOLDEN: list[tuple[Constraint, str, bool]] = [
    # imports
    (NoImports(), "def f(x):\n    return x\n", True),
    (NoImports(), FENCED, False),
    (NoImports(), "def f(x):\n    import math\n    return math.sqrt(x)\n", False),
    (NoImports(), "def f():\n    return __import__('os')\n", False),
    (NoImports(), BARE_BODY, True),
    (OnlyImports(("collections", "math")), FENCED, True),
    (OnlyImports(("math",)), FENCED, False),
    (OnlyImports(("math",)), "def f(x):\n    return x\n", True),  # importing is not required
    (OnlyImports(("os",)), "import os.path\nfrom os import sep\n", True),
    (OnlyImports(("os",)), "from . import helper\n", False),
    # constructs
    (UsesConstruct("for"), FENCED, True),
    (UsesConstruct("for"), "def f(xs):\n    return [x for x in xs]\n", False),
    (UsesConstruct("for"), "async def f(xs):\n    async for x in xs:\n        pass\n", True),
    (UsesConstruct("while"), FENCED, False),
    (UsesConstruct("while"), "def f(n):\n    while n:\n        n -= 1\n    return n\n", True),
    (UsesConstruct("comprehension"), FENCED, True),
    (UsesConstruct("comprehension"), "def f(xs):\n    return sum(x for x in xs)\n", True),
    (UsesConstruct("comprehension"), "def f(xs):\n    return {x: 1 for x in xs}\n", True),
    (UsesConstruct("comprehension"), BARE_BODY, False),
    (UsesConstruct("recursion"), FULL, True),
    (UsesConstruct("recursion"), FENCED, False),
    (UsesConstruct("recursion"),
     "class A:\n    def walk(self, n):\n        return self.walk(n - 1) if n else 0\n", True),
    (UsesConstruct("lambda"), FENCED, True),
    (UsesConstruct("lambda"), FULL, False),
    (AvoidsConstruct("while"), FENCED, True),
    (AvoidsConstruct("for"), FENCED, False),
    (AvoidsConstruct("for"), "def f(xs):\n    return [x for x in xs]\n", True),
    (AvoidsConstruct("recursion"), FULL, False),
    (AvoidsConstruct("recursion"), FENCED, True),
    (AvoidsConstruct("recursion"), BARE_BODY, True),  # calls only builtins
    # a bare body cannot name its function: a call to an unknown name may be recursion
    (AvoidsConstruct("recursion"), "    return helper(n - 1) + 1\n", False),
    (UsesConstruct("recursion"), "    return helper(n - 1) + 1\n", True),
    (AvoidsConstruct("lambda"), FULL, True),
    # function length: def line to last line, blank lines and docstrings excluded
    (MaxFunctionLines(10), FENCED, True),
    (MaxFunctionLines(9), FENCED, False),
    (MaxFunctionLines(8), BARE_BODY, True),  # 7 lines plus the prompt's def line
    (MaxFunctionLines(7), BARE_BODY, False),
    (MaxFunctionLines(10), FULL, True),
    (MaxFunctionLines(8), FULL, False),
    # docstrings
    (Docstring(), FENCED, True),
    (Docstring(), FULL, False),
    (Docstring(), BARE_BODY, True),  # the wrapper of a bare body is no function
    (Docstring(), 'def f():\n    """Outer."""\n    def g():\n        return 1\n    return g()\n',
     False),
    (NoDocstring(), FULL, True),
    (NoDocstring(), FENCED, False),
    (NoDocstring(), "def f():\n    x = 'not a docstring'\n    return x\n", True),
    # type hints
    (TypeHints(), FENCED, True),
    (TypeHints(), FULL, False),
    (TypeHints(), "def f(x: int) -> int:\n    return x\n", True),
    (TypeHints(), "def f(x: int):\n    return x\n", False),
    (TypeHints(), "def f(*args: int, **kw: str) -> None:\n    pass\n", True),
    (TypeHints(), "def f(*args, **kw: str) -> None:\n    pass\n", False),
    (TypeHints(), "class A:\n    def m(self, x: int) -> int:\n        return x\n", True),
    (TypeHints(), "class A:\n    def m(self, x) -> int:\n        return x\n", False),
    (TypeHints(), BARE_BODY, True),
    # naming
    (NamingStyle("snake_case"), FENCED, True),
    (NamingStyle("snake_case"), BARE_BODY, True),
    (NamingStyle("snake_case"), CAMEL, False),
    (NamingStyle("camelCase"), CAMEL, True),
    (NamingStyle("camelCase"), FENCED, False),  # longest_words
    (NamingStyle("snake_case"), "def f(x):\n    N = len(x)\n    return N\n", False),
    (NamingStyle("snake_case"), "def f(myList):\n    return myList\n", False),
    (NamingStyle("snake_case"), "def getX():\n    return 1\n", False),
    # module-level names and class names are not checked
    (NamingStyle("snake_case"), "MAX_N = 10\nclass Box:\n    pass\ndef f():\n    return MAX_N\n",
     True),
    (NamingStyle("snake_case"), "def f():\n    global Total\n    Total = 1\n", True),
    (NamingStyle("camelCase"), "class A:\n    def __init__(self, sizeX):\n        _ = sizeX\n",
     True),
    # print
    (NoPrint(), FENCED, True),
    (NoPrint(), FULL, False),
    (NoPrint(), "def f(xs):\n    list(map(print, xs))\n", False),
    (NoPrint(), 'Call print() yourself:\n```python\ndef f():\n    return "print(1)"\n```', True),
    # nesting depth
    (MaxNestingDepth(2), FENCED, True),
    (MaxNestingDepth(1), FENCED, False),
    (MaxNestingDepth(4), BARE_BODY, True),
    (MaxNestingDepth(3), BARE_BODY, False),
    (MaxNestingDepth(1), FULL, True),  # an elif does not add a level
    (MaxNestingDepth(1), "def f(x):\n    if x:\n        return 1\n    else:\n"
     "        if x is None:\n            return 2\n    return 3\n", False),
    (MaxNestingDepth(1), "def f(x):\n    try:\n        return 1\n    except ValueError:\n"
     "        return 2\n    finally:\n        pass\n", True),
    (MaxNestingDepth(1), "def f(xs):\n    for x in xs:\n        def g():\n"
     "            if x:\n                return 1\n", False),
    # line length
    (MaxLineLength(79), FENCED, True),
    (MaxLineLength(50), FENCED, False),
    (MaxLineLength(50), BARE_BODY, True),
    (MaxLineLength(40), BARE_BODY, False),
    (MaxLineLength(10), "x = 1   \n", True),  # trailing whitespace aside
    (MaxLineLength(79), "x = '" + "a" * 90 + "'\n", False),
    # one function
    (SingleFunction(), FENCED, True),
    (SingleFunction(), FULL, True),
    (SingleFunction(), BARE_BODY, True),  # the body is the prompt's function
    (SingleFunction(), "def f():\n    return g()\n\ndef g():\n    return 1\n", False),
    (SingleFunction(), "def f():\n    def g():\n        return 1\n    return g()\n", False),
    (SingleFunction(), "    def g():\n        return 1\n    return g()\n", False),
    (SingleFunction(), "class A:\n    def f(self):\n        return 1\n", False),
    (SingleFunction(), "x = 1\n", False),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN)
def test_golden(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_every_code_kind_has_golden_cases_both_ways() -> None:
    seen = {(c.kind, expected) for c, _, expected in GOLDEN}
    assert len(CODE_KINDS) >= 10
    for kind in CODE_KINDS:
        assert (kind, True) in seen, kind
        assert (kind, False) in seen, kind


@pytest.mark.parametrize("output", UNPARSEABLE)
@pytest.mark.parametrize("kind", CODE_KINDS)
def test_no_code_complies_with_nothing_and_proposes_nothing(kind: str, output: str) -> None:
    cls = all_kinds()[kind]
    assert cls.example().check(output) is False
    assert list(cls.candidates(output, CTX)) == []
    assert extract_constraints(output, CTX, k=3, kinds=[kind]) == []


@pytest.mark.parametrize("kind", CODE_KINDS)
def test_prose_that_parses_proposes_nothing(kind: str) -> None:
    # "Paris" is a valid Python expression, but no program
    assert list(all_kinds()[kind].candidates("Paris", CTX)) == []


def test_program_is_shared_and_reads_only_the_code() -> None:
    assert program(FENCED) is program(FENCED)
    tree = program_tree(FENCED)
    assert tree is not None
    assert tree is program_tree(FENCED)
    assert imported_modules(tree) == {"collections", "math"}
    p = program(FENCED)
    assert p is not None
    assert not p.wrapped
    assert "Here is a solution" not in p.code
    assert program_tree("no code here.") is None


def test_bare_body_is_wrapped_transparently() -> None:
    p = program(BARE_BODY)
    assert p is not None
    assert p.wrapped
    assert p.wrapper is not None
    assert p.lines[0] == "def _body():"
    assert function_lines(p, p.wrapper) == 8
    assert nesting_depth(p.tree) == 4
    # code that itself defines a lone _body is read as written (no shifted lines)
    own = "\ndef _body():\n    return 1\n"
    assert is_wrapped_body(ast.parse(own))
    q = program(own)
    assert q is not None
    assert q.wrapped
    assert q.wrapper is not None
    assert function_lines(q, q.wrapper) == 2


def test_function_lines_skip_docstrings_and_blank_lines() -> None:
    p = program(FENCED)
    assert p is not None
    fn = next(n for n in ast.walk(p.tree) if isinstance(n, ast.FunctionDef))
    assert function_lines(p, fn) == 10
    multi = 'def f():\n    """Doc\n\n    more doc.\n    """\n\n    return 1\n'
    q = program(multi)
    assert q is not None
    assert function_lines(q, q.tree.body[0]) == 2  # type: ignore[arg-type]


def _by_kind(source: str, ctx: SourceContext = CTX) -> dict[str, list[Constraint]]:
    return {kind: list(all_kinds()[kind].candidates(source, ctx)) for kind in CODE_KINDS}


def test_candidates_from_a_fenced_answer() -> None:
    found = _by_kind(FENCED)
    assert found["code:only_imports"] == [OnlyImports(("collections", "math"))]
    assert {c.construct for c in found["code:uses_construct"]} == {  # type: ignore[attr-defined]
        "for", "comprehension", "lambda"}
    assert {c.construct for c in found["code:avoids_construct"]} == {  # type: ignore[attr-defined]
        "while", "recursion"}
    assert found["code:max_function_lines"] == [MaxFunctionLines(15), MaxFunctionLines(20),
                                                MaxFunctionLines(25)]
    assert found["code:max_nesting_depth"][0] == MaxNestingDepth(2)
    assert found["code:max_line_length"][0] == MaxLineLength(79)
    assert found["code:naming_style"] == [NamingStyle("snake_case")]
    for kind in ("code:docstring", "code:type_hints", "code:no_print", "code:single_function"):
        assert found[kind] == [all_kinds()[kind]()], kind


def test_candidates_from_a_bare_body() -> None:
    found = _by_kind(BARE_BODY)
    assert [c.construct for c in found["code:uses_construct"]] == ["for"]  # type: ignore[attr-defined]
    assert found["code:max_function_lines"][0] == MaxFunctionLines(10)
    assert found["code:max_nesting_depth"][0] == MaxNestingDepth(4)
    assert found["code:naming_style"] == [NamingStyle("snake_case")]
    # rules about defined functions say nothing about a bare body
    for kind in ("code:docstring", "code:no_docstring", "code:type_hints",
                 "code:only_imports"):
        assert found[kind] == [], kind
    # recursion is never asked for from a bare body, nor forbidden when it may recurse
    helper = "    if n == 0:\n        return 0\n    return helper(n - 1) + 1\n"
    assert "recursion" not in [c.construct for c in  # type: ignore[attr-defined]
                               UsesConstruct.candidates(helper, CTX)]
    assert AvoidsConstruct("recursion") not in extract_constraints(
        helper, CTX, k=1, kinds=["code:avoids_construct"])


def test_candidates_from_a_full_function_with_imports() -> None:
    chosen = {c.kind: c for kind in CODE_KINDS
              for c in extract_constraints(FULL, CTX, k=1, kinds=[kind])}
    assert chosen["code:only_imports"] == OnlyImports(("sys",))
    assert "code:no_imports" not in chosen
    assert "code:no_print" not in chosen
    assert "code:docstring" not in chosen
    assert chosen["code:no_docstring"] == NoDocstring()
    assert "code:type_hints" not in chosen
    assert chosen["code:max_nesting_depth"] == MaxNestingDepth(1)
    assert chosen["code:max_function_lines"] == MaxFunctionLines(10)
    assert "code:uses_construct" in chosen
    for c in chosen.values():
        assert c.check(FULL)


def test_camel_case_only_when_the_source_clearly_uses_it() -> None:
    assert list(NamingStyle.candidates(CAMEL, CTX)) == [NamingStyle("camelCase")]
    one_word = "def total(values):\n    result = 0\n    return result\n"
    assert list(NamingStyle.candidates(one_word, CTX)) == [NamingStyle("snake_case")]
    mixed = "def f(myList, other_list):\n    return myList + other_list\n"
    assert list(NamingStyle.candidates(mixed, CTX)) == []


def test_required_function_name_must_fit_the_naming_style() -> None:
    assert NamingStyle("snake_case").permits("def has_close_elements(")
    assert not NamingStyle("snake_case").permits("def is_Diff(")
    assert NamingStyle("camelCase").permits("def maxValue(")
    source = "def is_Diff(n):\n    return n % 11 == 0\n"
    ctx = SourceContext(task="mbpp", item_id="77", required=("def is_Diff(",))
    assert extract_constraints(source, ctx, kinds=["code:naming_style"]) == []


def test_required_fragments_are_permitted_by_code_kinds() -> None:
    fragment = "def add("
    for kind in CODE_KINDS:
        example = all_kinds()[kind].example()
        assert example.permits(fragment), kind
    assert not NoImports().permits("import os")
    assert not OnlyImports(("math",)).permits("from os import path")
    assert OnlyImports(("math",)).permits("from math import floor")
    assert not NoPrint().permits("print(x)")
    assert not MaxLineLength(10).permits("x" * 11)
    assert not SingleFunction().permits("def f():\n    def g(")


@pytest.mark.parametrize("source", [FENCED, BARE_BODY, FULL, CAMEL])
def test_texts_quote_no_literal_of_the_source(source: str) -> None:
    tree = program_tree(source)
    assert tree is not None
    literals = [str(n.value) for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and n.value is not None
                and not (isinstance(n.value, str) and len(n.value.strip()) < 2)]
    assert literals
    for kind in CODE_KINDS:
        for c in all_kinds()[kind].candidates(source, CTX):
            text = c.describe()
            for literal in literals:
                if isinstance(literal, str) and not literal.lstrip("-").isdigit():
                    assert literal not in text, (kind, literal)
            numeric = [lit for lit in literals if lit.lstrip("-").isdigit()]
            bound = {str(v) for v in c.params().values() if isinstance(v, int)}
            assert not leaks_answer(text, [n for n in numeric if n not in bound]), (kind, text)


def test_leaking_bounds_are_refused_and_the_next_one_used() -> None:
    ctx = SourceContext(task="mbpp", item_id="1", answers=("15", "79"))
    chosen = extract_constraints(FENCED, ctx, kinds=["code:max_function_lines"])
    assert chosen == [MaxFunctionLines(20)]
    chosen = extract_constraints(FENCED, ctx, kinds=["code:max_line_length"])
    assert chosen == [MaxLineLength(88)]


def _records(source: str, seed: int, k: int = 3) -> list[dict[str, object]]:
    ctx = SourceContext(task="humaneval", item_id="HumanEval/0", seed=seed)
    return [c.to_record() for c in extract_constraints(source, ctx, k=k, kinds=["code"])]


@pytest.mark.parametrize("source", [FENCED, BARE_BODY, FULL])
def test_deterministic_compatible_and_self_evident(source: str) -> None:
    for seed in range(5):
        first = _records(source, seed)
        assert first == _records(source, seed)
        assert len(first) == 3
        chosen = [constraint_from_record(r) for r in first]
        assert validate_set(chosen) is None
        assert all(c.check(source) for c in chosen)


def test_seeds_vary_the_choice() -> None:
    assert len({str(_records(FENCED, seed)) for seed in range(12)}) > 1
    picks = {str(list(UsesConstruct.candidates(FENCED, SourceContext(seed=s)))) for s in range(12)}
    assert len(picks) > 1


@pytest.mark.parametrize("kind", CODE_KINDS)
def test_round_trip(kind: str) -> None:
    for source in (FENCED, BARE_BODY, FULL, CAMEL):
        for c in all_kinds()[kind].candidates(source, CTX):
            record = c.to_record()
            assert constraint_from_record(record) == c
            assert record["text"] == c.describe()


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "code:uses_construct", "params": {"construct": "goto"}},
        {"kind": "code:avoids_construct", "params": {}},
        {"kind": "code:only_imports", "params": {"modules": []}},
        {"kind": "code:only_imports", "params": {"modules": ["math", "collections"]}},
        {"kind": "code:only_imports", "params": {"modules": ["os.path"]}},
        {"kind": "code:naming_style", "params": {"style": "PascalCase"}},
        {"kind": "code:max_line_length", "params": {"limit": 0}},
        {"kind": "code:max_function_lines", "params": {"limit": 1}},
        {"kind": "code:max_nesting_depth", "params": {"limit": "2"}},
    ],
)
def test_bad_records(record: dict[str, object]) -> None:
    with pytest.raises(SustainInputError):
        constraint_from_record(record, path="c.jsonl", line=1)


def test_conflict_pairs() -> None:
    code_pairs = {pair for pair in CONFLICTS if any(k.startswith("code:") for k in pair)}
    assert code_pairs == {
        frozenset({"code:no_imports", "code:only_imports"}),
        frozenset({"code:docstring", "code:no_docstring"}),
        frozenset({"code:uses_construct", "code:avoids_construct"}),
        frozenset({"code:max_function_lines", "length:max_lines"}),
    }
    for a in CODE_KINDS:
        for b in all_kinds():
            assert conflicts(a, b) == conflicts(b, a)
    assert conflicts(UsesConstruct("for"), AvoidsConstruct("for"))
    assert conflicts(AvoidsConstruct("while"), UsesConstruct("for"))
    assert conflicts(MaxFunctionLines(10), MaxLines(20))
    assert conflicts(NoImports(), OnlyImports(("math",)))
    assert conflicts(Docstring(), NoDocstring())
    # composable with prose kinds
    for other in (FencedCodeBlock(), MaxWords(200), IncludeWord("sorted"),
                  StartsWith("Here is")):
        for kind in CODE_KINDS:
            assert not conflicts(all_kinds()[kind].example(), other), (kind, other)


def test_constructs_are_fixed() -> None:
    assert CONSTRUCTS == ("for", "while", "comprehension", "recursion", "lambda")
    for construct in CONSTRUCTS:
        assert UsesConstruct(construct).describe() != AvoidsConstruct(construct).describe()
