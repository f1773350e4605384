"""``code`` kinds: the structure of the program in an output, decided with ``ast``.

Every kind reads the program that :func:`sustain_verifiers.code.extract_code` finds in the output
(a fenced block, an unclosed fence, or the output itself when it is code), parsed by
:func:`sustain_verifiers.code.parse_code`; the prose around the code is never read. The parse is
shared: :func:`program` is cached, so several kinds checking one output parse it once. An output
without parseable code complies with no code constraint, and proposes none.

A bare function body (HumanEval style: indented lines continuing the prompt's signature) is parsed
inside a wrapper function named ``_body`` (see :func:`is_wrapped_body`). The wrapper is
transparent: it is not a function for naming, docstring and type-hint rules, but its body is the
body of the task's function, so its variables are local variables, its lines are a function's
lines (with the signature, written in the prompt, as its ``def`` line) and it is the one function
of ``code:single_function``.

Texts never quote the program's own literals or the task's tests: the only values a text holds
are bounds (rounded, as for ``length`` kinds), module names, a construct and a naming style.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import islice
from typing import ClassVar, Self

from sustain_verifiers.code import WRAPPER_NAME, extract_code, is_wrapped_body, parse_code

from sustain_tasks.constraints.base import Category, Constraint, Prohibition, SourceContext
from sustain_tasks.constraints.length import plural, positive_int
from sustain_tasks.constraints.registry import register

__all__ = [
    "CONSTRUCTS",
    "NAMING_STYLES",
    "WRAPPER_NAME",
    "AvoidsConstruct",
    "Docstring",
    "MaxFunctionLines",
    "MaxLineLength",
    "MaxNestingDepth",
    "NamingStyle",
    "NoDocstring",
    "NoImports",
    "NoPrint",
    "OnlyImports",
    "Program",
    "SingleFunction",
    "TypeHints",
    "UsesConstruct",
    "function_lines",
    "imported_modules",
    "is_wrapped_body",
    "nesting_depth",
    "program",
    "program_tree",
    "uses_construct",
]

CONSTRUCTS: tuple[str, ...] = ("for", "while", "comprehension", "recursion", "lambda")
"""Constructs ``code:uses_construct`` and ``code:avoids_construct`` speak of."""

NAMING_STYLES: tuple[str, ...] = ("snake_case", "camelCase")

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
             ast.TryStar, ast.Match)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_BUILTINS = frozenset(dir(builtins))
_SNAKE_RE = re.compile(r"[a-z0-9_]+")
_CAMEL_RE = re.compile(r"_*[a-z][A-Za-z0-9]*|_+|__\w+__")
_CAMEL_HUMP_RE = re.compile(r"[a-z0-9][A-Z]")
_MODULE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEF_NAME_RE = re.compile(r"\bdef\s+([^\W\d]\w*)")
_IMPORT_LINE_RE = re.compile(r"^[ \t]*(?:import[ \t]+([\w.]+)|from[ \t]+([\w.]+)[ \t]+import\b)",
                             re.MULTILINE)
_PRINT_CALL_RE = re.compile(r"(?<![\w.])print\s*\(")
_DEFINITION_RE = re.compile(r"(?<!\w)(?:def|class)\s+[^\W\d]")
_LINE_LENGTHS = (79, 88, 100, 120)
_FUNCTION_LINE_BOUNDS = (5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200)
_CANDIDATES = 3


# -- the program ---------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Program:
    """The parsed program of an output.

    Attributes:
        code: The extracted code, as written (line breaks normalised to ``\\n``).
        tree: Its ``ast`` module (a bare body wrapped in ``def _body():``).
        wrapped: Whether ``tree`` is such a wrapped bare body.
        lines: The lines of the source ``tree`` was parsed from: ``lines[i - 1]`` is line ``i``
            of the tree (for a wrapped body, line 1 is the wrapper's ``def`` line).
    """

    code: str
    tree: ast.Module
    wrapped: bool
    lines: tuple[str, ...]

    @property
    def wrapper(self) -> ast.FunctionDef | None:
        """The wrapper function of a bare body, or None."""
        node = self.tree.body[0] if self.wrapped else None
        return node if isinstance(node, ast.FunctionDef) else None

    # The tree is walked once; every kind reads these (a program is shared through the cache
    # of :func:`program`, so several kinds and candidates checking one output share them too).

    @cached_property
    def nodes(self) -> tuple[ast.AST, ...]:
        """Every node of ``tree``, in ``ast.walk`` order."""
        return tuple(ast.walk(self.tree))

    @cached_property
    def node_types(self) -> frozenset[type[ast.AST]]:
        """The types of the nodes of ``tree``."""
        return frozenset(type(node) for node in self.nodes)

    @cached_property
    def all_functions(self) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ...]:
        """Every function, the wrapper of a bare body included, in ``ast.walk`` order."""
        return tuple(node for node in self.nodes if isinstance(node, _FUNCTIONS))

    @cached_property
    def functions(self) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ...]:
        """Every function the program defines, at any depth, without the wrapper of a bare
        body."""
        wrapper = self.wrapper
        return tuple(node for node in self.all_functions if node is not wrapper)

    @cached_property
    def imports(self) -> frozenset[str] | None:
        """:func:`imported_modules` of the program."""
        found = _imported_modules(self.nodes)
        return None if found is None else frozenset(found)


@lru_cache(maxsize=64)
def program(output: str) -> Program | None:
    """The program in ``output``, or None when it has no parseable code (cached)."""
    extraction = extract_code(output)
    if extraction is None:
        return None
    code = extraction.code.replace("\r\n", "\n").replace("\r", "\n")
    tree = parse_code(code)
    if tree is None:
        return None
    lines = code.split("\n")
    wrapped = is_wrapped_body(tree)
    # a wrapped body's tree has the wrapper's ``def`` on line 1, before the code's own lines
    if (wrapped and tree.body[0].lineno == 1
            and not lines[0].lstrip().startswith(f"def {WRAPPER_NAME}")):
        lines = [f"def {WRAPPER_NAME}():", *lines]
    return Program(code, tree, wrapped, tuple(lines))


def program_tree(output: str) -> ast.Module | None:
    """The ``ast`` module of the program in ``output``, or None (shares :func:`program`'s cache)."""
    found = program(output)
    return None if found is None else found.tree


def _substantive(p: Program) -> bool:
    """Whether the program is more than bare expressions (prose such as "Paris" parses too)."""
    return any(not isinstance(stmt, ast.Expr) for stmt in p.tree.body)


def _proposable(source: str) -> Program | None:
    p = program(source)
    return p if p is not None and _substantive(p) else None


def _functions(p: Program) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ...]:
    """Every function the program defines, at any depth, without the wrapper of a bare body."""
    return p.functions


def _all_functions(p: Program) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, ...]:
    """Every function, the wrapper of a bare body included."""
    return p.all_functions


def _docstring_node(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None)
    if not isinstance(body, list) or not body:
        return None
    first = body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return first
    return None


def _has_docstring(fn: ast.AST) -> bool:
    return _docstring_node(fn) is not None


# -- measurements ----------------------------------------------------------------------------------

def imported_modules(tree: ast.Module) -> set[str] | None:
    """Top-level modules the program imports (``import a.b`` and ``from a.b import c`` give
    ``a``); None when it has a relative import or calls ``__import__``, which name no module."""
    return _imported_modules(ast.walk(tree))


def _imported_modules(nodes: Iterable[ast.AST]) -> set[str] | None:
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level or not node.module:
                return None
            found.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__"):
            return None
    return found


def _imports_anything(p: Program) -> bool:
    modules = p.imports
    return modules is None or bool(modules)


def _calls_itself(func: ast.expr, name: str) -> bool:
    if isinstance(func, ast.Name):
        return func.id == name
    return (isinstance(func, ast.Attribute) and func.attr == name
            and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"))


def _bound_names(p: Program) -> set[str]:
    """Every name the program binds: assignments, parameters, definitions, imports."""
    bound: set[str] = set()
    for node in p.nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
    return bound


def _free_calls(p: Program) -> bool:
    """Whether the program calls a name it does not bind and that is not a builtin."""
    bound = _bound_names(p)
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
               and node.func.id not in bound and node.func.id not in _BUILTINS
               for node in p.nodes)


def _recursive(p: Program) -> bool:
    for fn in _functions(p):
        for stmt in fn.body:
            if any(isinstance(node, ast.Call) and _calls_itself(node.func, fn.name)
                   for node in ast.walk(stmt)):
                return True
    # a bare body cannot name its own function: a call to an unknown name may be recursion
    return p.wrapped and _free_calls(p)


def uses_construct(p: Program, construct: str) -> bool:
    """Whether the program uses ``construct`` (one of :data:`CONSTRUCTS`).

    A bare body's own function is named only in the prompt, so in a bare body a call to a name
    the code neither binds nor gets from the builtins counts as recursion (conservatively: it
    may also be a helper the prompt defines).
    """
    if construct == "recursion":
        return _recursive(p)
    types: tuple[type[ast.AST], ...] = {
        "for": (ast.For, ast.AsyncFor),
        "while": (ast.While,),
        "comprehension": _COMPREHENSIONS,
        "lambda": (ast.Lambda,),
    }[construct]
    return any(issubclass(t, types) for t in p.node_types)


def function_lines(p: Program, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of ``fn`` from its ``def`` line to its last line, without blank lines and without
    the lines of any docstring (of ``fn``, or of a function or class inside it)."""
    end = fn.end_lineno or fn.lineno
    skipped: set[int] = set()
    for node in ast.walk(fn):
        doc = _docstring_node(node) if isinstance(node, (*_FUNCTIONS, ast.ClassDef)) else None
        if doc is not None:
            skipped.update(range(doc.lineno, (doc.end_lineno or doc.lineno) + 1))
    return sum(1 for i in range(fn.lineno, end + 1)
               if i not in skipped and i <= len(p.lines) and p.lines[i - 1].strip())


def _longest_function(p: Program) -> int:
    return max((function_lines(p, fn) for fn in _all_functions(p)), default=0)


def _is_elif(parent: ast.If) -> bool:
    """Whether ``parent``'s else branch is an ``elif`` (an ``if`` at the same column)."""
    orelse = parent.orelse
    return (len(orelse) == 1 and isinstance(orelse[0], ast.If)
            and orelse[0].col_offset == parent.col_offset)


def nesting_depth(tree: ast.Module) -> int:
    """The deepest nesting of compound statements (if, for, while, with, try, match).

    A compound statement at the top of a module or function body is at depth 1. ``def`` and
    ``class`` add no level, and ``elif``/``else``/``except``/``finally``/``case`` branches are
    part of their statement.
    """
    deepest = 0
    # (statements, how many compound statements enclose them)
    stack: list[tuple[list[ast.stmt], int]] = [(tree.body, 0)]
    while stack:
        statements, enclosing = stack.pop()
        for stmt in statements:
            if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
                stack.append((stmt.body, enclosing))
                continue
            if not isinstance(stmt, _COMPOUND):
                continue
            level = enclosing + 1
            deepest = max(deepest, level)
            if isinstance(stmt, ast.If) and _is_elif(stmt):
                stack.append((stmt.body, level))
                stack.append((stmt.orelse, enclosing))  # the elif is at this statement's level
                continue
            for name in ("body", "orelse", "finalbody"):
                stack.append((getattr(stmt, name, []), level))
            for handler in getattr(stmt, "handlers", []):
                stack.append((handler.body, level))
            for case in getattr(stmt, "cases", []):
                stack.append((case.body, level))
    return deepest


def _local_names(p: Program) -> set[str]:
    """Names of functions, parameters (lambdas' too) and variables assigned inside functions."""
    names: set[str] = {fn.name for fn in _functions(p)}
    for node in p.nodes:
        if isinstance(node, ast.arg):
            names.add(node.arg)
    for fn in _all_functions(p):
        declared: set[str] = set()
        assigned: set[str] = set()
        for stmt in fn.body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Global | ast.Nonlocal):
                    declared.update(node.names)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    assigned.add(node.id)
                elif isinstance(node, ast.ExceptHandler) and node.name:
                    assigned.add(node.name)
        names |= assigned - declared
    return names


def _follows_style(name: str, style: str) -> bool:
    if style == "snake_case":
        return _SNAKE_RE.fullmatch(name) is not None
    return _CAMEL_RE.fullmatch(name) is not None


# -- base classes ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _CodeProhibition(Prohibition):
    """A parameterless code rule, proposed for every source with a program."""

    category: ClassVar[Category] = "code"

    def permits(self, fragment: str) -> bool:
        del fragment
        return True

    @classmethod
    def _suits(cls, p: Program) -> bool:
        """Whether the rule says something about the source program (beyond being satisfied)."""
        del p
        return True

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        if p is not None and cls._suits(p):
            yield cls()


# -- kinds -----------------------------------------------------------------------------------------

@register
@dataclass(frozen=True)
class NoImports(_CodeProhibition):
    """The program has no import statement (``import``, ``from ... import``, ``__import__``)."""

    kind: ClassVar[str] = "code:no_imports"

    def describe(self) -> str:
        return ("Do not import anything in your code: write neither import nor from ... import "
                "statements.")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and not _imports_anything(p)

    def permits(self, fragment: str) -> bool:
        return _IMPORT_LINE_RE.search(fragment) is None


@register
@dataclass(frozen=True)
class OnlyImports(Constraint):
    """The program imports only from ``modules`` (their submodules and names in them)."""

    kind: ClassVar[str] = "code:only_imports"
    category: ClassVar[Category] = "code"
    modules: tuple[str, ...]

    def __post_init__(self) -> None:
        if (not isinstance(self.modules, tuple) or not self.modules
                or not all(isinstance(m, str) and _MODULE_RE.fullmatch(m) for m in self.modules)):
            raise ValueError("modules must be a non-empty tuple of top-level module names")
        if list(self.modules) != sorted(set(self.modules)):
            raise ValueError("modules must be sorted and distinct")

    def describe(self) -> str:
        quoted = [f'"{m}"' for m in self.modules]
        if len(quoted) == 1:
            return (f"Do not import any module other than {quoted[0]} in your code (its "
                    "submodules and names imported from it are allowed).")
        listed = ", ".join(quoted[:-1]) + f" and {quoted[-1]}"
        return (f"Do not import any module other than {listed} in your code (their "
                "submodules and names imported from them are allowed).")

    def check(self, output: str) -> bool:
        p = program(output)
        if p is None:
            return False
        modules = p.imports
        return modules is not None and modules <= set(self.modules)

    def permits(self, fragment: str) -> bool:
        for match in _IMPORT_LINE_RE.finditer(fragment):
            name = match.group(1) or match.group(2)
            if name.startswith(".") or name.split(".")[0] not in self.modules:
                return False
        return True

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        modules = p.imports if p is not None else None
        if modules:
            yield cls(tuple(sorted(modules)))

    @classmethod
    def example(cls) -> Self:
        return cls(("collections", "math"))


_USE_TEXTS = {
    "for": "Use a for loop statement somewhere in your code (a for inside a comprehension or "
           "generator expression does not count).",
    "while": "Use a while loop somewhere in your code.",
    "comprehension": "Use a list, set or dict comprehension or a generator expression "
                     "somewhere in your code.",
    "recursion": "Use recursion in your code: some function must call itself.",
    "lambda": "Use a lambda expression somewhere in your code.",
}
_AVOID_TEXTS = {
    "for": "Do not write any for loop statement in your code (a for inside a comprehension or "
           "generator expression is allowed).",
    "while": "Do not use any while loop in your code.",
    "comprehension": "Do not use list, set or dict comprehensions or generator expressions "
                     "anywhere in your code.",
    "recursion": "Do not use recursion in your code: a function may not call itself.",
    "lambda": "Do not use lambda expressions anywhere in your code.",
}


def _valid_construct(construct: str) -> None:
    if construct not in CONSTRUCTS:
        raise ValueError(f"construct must be one of {CONSTRUCTS}, got {construct!r}")


@register
@dataclass(frozen=True)
class UsesConstruct(Constraint):
    """The program uses ``construct``: a for or while loop, comprehension, recursion or lambda.

    ``for`` is a for statement (``async for`` too), not the ``for`` of a comprehension;
    ``comprehension`` is a list, set or dict comprehension or a generator expression;
    ``recursion`` is a function calling itself by name (or as ``self.name``/``cls.name``). A
    bare body cannot name its own function, so there a call to a name that the code does not
    bind and that is not a builtin counts as recursion (see :func:`uses_construct`); recursion
    is therefore never proposed from a bare body, and avoiding it only when the body calls no
    such name.
    """

    kind: ClassVar[str] = "code:uses_construct"
    category: ClassVar[Category] = "code"
    construct: str

    def __post_init__(self) -> None:
        _valid_construct(self.construct)

    def describe(self) -> str:
        return _USE_TEXTS[self.construct]

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and uses_construct(p, self.construct)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        if p is None:
            return
        # in a bare body, a call to an unknown name is recursion only perhaps: never proposed
        pool = [c for c in CONSTRUCTS if uses_construct(p, c)
                and not (c == "recursion" and p.wrapped)]
        ctx.rng(cls.kind).shuffle(pool)
        for construct in pool:
            yield cls(construct)

    @classmethod
    def example(cls) -> Self:
        return cls("comprehension")


@register
@dataclass(frozen=True)
class AvoidsConstruct(Constraint):
    """The program never uses ``construct`` (see :class:`UsesConstruct` and ``CONSTRUCTS``)."""

    kind: ClassVar[str] = "code:avoids_construct"
    category: ClassVar[Category] = "code"
    construct: str

    def __post_init__(self) -> None:
        _valid_construct(self.construct)

    def describe(self) -> str:
        return _AVOID_TEXTS[self.construct]

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and not uses_construct(p, self.construct)

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        if p is None:
            return
        pool = [c for c in CONSTRUCTS if not uses_construct(p, c)]
        ctx.rng(cls.kind).shuffle(pool)
        for construct in pool:
            yield cls(construct)

    @classmethod
    def example(cls) -> Self:
        return cls("while")


@register
@dataclass(frozen=True)
class MaxFunctionLines(Constraint):
    """Every function has at most ``limit`` non-blank lines outside docstrings, def line included.

    A bare body counts as a function whose ``def`` line is the prompt's signature.
    """

    kind: ClassVar[str] = "code:max_function_lines"
    category: ClassVar[Category] = "code"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit", minimum=2)

    def describe(self) -> str:
        return (f"Keep every function in your code at most {self.limit} lines long, counting "
                "from its def line to its last line; blank lines and docstrings do not count.")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and _longest_function(p) <= self.limit

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        longest = _longest_function(p) if p is not None else 0
        if longest == 0:
            return
        for bound in islice((b for b in _FUNCTION_LINE_BOUNDS if b > longest), _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(15)


@register
@dataclass(frozen=True)
class Docstring(_CodeProhibition):
    """Every function the program defines has a docstring (a bare body's wrapper excepted)."""

    kind: ClassVar[str] = "code:docstring"

    def describe(self) -> str:
        return ("Give every function you define a docstring: a string literal as the first "
                "statement of its body.")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and all(_has_docstring(fn) for fn in _functions(p))

    @classmethod
    def _suits(cls, p: Program) -> bool:
        return bool(_functions(p))


@register
@dataclass(frozen=True)
class NoDocstring(_CodeProhibition):
    """No function the program defines has a docstring (a bare body's wrapper excepted)."""

    kind: ClassVar[str] = "code:no_docstring"

    def describe(self) -> str:
        return ("Do not write docstrings: the body of a function you define may not start with "
                "a string literal.")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and not any(_has_docstring(fn) for fn in _functions(p))

    @classmethod
    def _suits(cls, p: Program) -> bool:
        return bool(_functions(p))


def _fully_annotated(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    params = [*positional, *args.kwonlyargs]
    params += [a for a in (args.vararg, args.kwarg) if a is not None]
    exempt = positional[0] if positional and positional[0].arg in ("self", "cls") else None
    return fn.returns is not None and all(
        a.annotation is not None for a in params if a is not exempt)


@register
@dataclass(frozen=True)
class TypeHints(_CodeProhibition):
    """Every function annotates its return and each parameter but a first ``self``/``cls``."""

    kind: ClassVar[str] = "code:type_hints"

    def describe(self) -> str:
        return ("Add type hints to every function you define: annotate each parameter (*args "
                "and **kwargs included, a first self or cls parameter excepted) and the return "
                "type, writing -> None when it returns nothing.")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and all(_fully_annotated(fn) for fn in _functions(p))

    @classmethod
    def _suits(cls, p: Program) -> bool:
        return bool(_functions(p))


@register
@dataclass(frozen=True)
class NamingStyle(Constraint):
    """Function, parameter and in-function variable names all follow ``style``.

    ``snake_case``: lowercase letters, digits and underscores only. ``camelCase``: a lowercase
    letter first (after any leading underscores), then letters and digits; a name of underscores
    only and special names such as ``__init__`` are allowed. Module-level variables and classes
    are not checked. ``camelCase`` is proposed only for a source that clearly uses it (a name with
    an inner capital); names that are one lowercase word fit both styles.
    """

    kind: ClassVar[str] = "code:naming_style"
    category: ClassVar[Category] = "code"
    style: str = "snake_case"

    def __post_init__(self) -> None:
        if self.style not in NAMING_STYLES:
            raise ValueError(f"style must be one of {NAMING_STYLES}, got {self.style!r}")

    def describe(self) -> str:
        if self.style == "snake_case":
            return ("In your code, name every function, every parameter and every variable "
                    "assigned inside a function in snake_case, using only lowercase letters, "
                    "digits and underscores.")
        return ("In your code, name every function, every parameter and every variable assigned "
                "inside a function in camelCase: start with a lowercase letter and use only "
                "letters and digits, without underscores (special names such as __init__ and a "
                "lone _ are allowed).")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and all(_follows_style(n, self.style) for n in _local_names(p))

    def permits(self, fragment: str) -> bool:
        # the task's own function name ("def <entry_point>(") must fit the style
        return all(_follows_style(n, self.style) for n in _DEF_NAME_RE.findall(fragment))

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        names = _local_names(p) if p is not None else set()
        if not names:
            return
        if all(_follows_style(n, "snake_case") for n in names):
            yield cls("snake_case")
        elif (all(_follows_style(n, "camelCase") for n in names)
              and any(_CAMEL_HUMP_RE.search(n) for n in names)):
            yield cls("camelCase")

    @classmethod
    def example(cls) -> Self:
        return cls("snake_case")


@register
@dataclass(frozen=True)
class NoPrint(_CodeProhibition):
    """The program never uses the name ``print`` (so it makes ``print()`` calls nowhere)."""

    kind: ClassVar[str] = "code:no_print"

    def describe(self) -> str:
        return "Do not use the print function anywhere in your code."

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and not any(isinstance(node, ast.Name) and node.id == "print"
                                         for node in p.nodes)

    def permits(self, fragment: str) -> bool:
        return _PRINT_CALL_RE.search(fragment) is None


@register
@dataclass(frozen=True)
class MaxNestingDepth(Constraint):
    """Compound statements (if, for, while, with, try, match) nest at most ``limit`` deep.

    See :func:`nesting_depth`. The tightest candidate is the source's own depth, since "at most"
    leaves room below it and nesting is a matter of structure, not of amount.
    """

    kind: ClassVar[str] = "code:max_nesting_depth"
    category: ClassVar[Category] = "code"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        tail = ("An elif, else, except or finally branch belongs to its block, and def and "
                "class statements do not count.")
        if self.limit == 1:
            return ("Do not put a control-flow block (if, for, while, with, try or match) inside "
                    f"another such block in your code. {tail}")
        return (f"Nest control-flow blocks (if, for, while, with, try, match) at most "
                f"{plural(self.limit, 'level')} deep in your code: none may sit inside "
                f"{self.limit} others. {tail}")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and nesting_depth(p.tree) <= self.limit

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        if p is None:
            return
        depth = max(nesting_depth(p.tree), 1)
        for bound in range(depth, depth + _CANDIDATES):
            yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(3)


@register
@dataclass(frozen=True)
class MaxLineLength(Constraint):
    """Every line of the code, trailing whitespace aside, has at most ``limit`` characters."""

    kind: ClassVar[str] = "code:max_line_length"
    category: ClassVar[Category] = "code"
    limit: int

    def __post_init__(self) -> None:
        positive_int(self.limit, "limit")

    def describe(self) -> str:
        return (f"Keep every line of your code at most {self.limit} characters long, "
                "indentation included.")

    def check(self, output: str) -> bool:
        p = program(output)
        return p is not None and _longest_line(p) <= self.limit

    def permits(self, fragment: str) -> bool:
        return all(len(line.rstrip()) <= self.limit for line in fragment.split("\n"))

    @classmethod
    def candidates(cls, source: str, ctx: SourceContext) -> Iterator[Self]:
        p = _proposable(source)
        if p is None:
            return
        longest = _longest_line(p)
        for bound in _LINE_LENGTHS:
            if bound >= longest:
                yield cls(bound)

    @classmethod
    def example(cls) -> Self:
        return cls(79)


def _longest_line(p: Program) -> int:
    return max((len(line.rstrip()) for line in p.code.split("\n")), default=0)


@register
@dataclass(frozen=True)
class SingleFunction(_CodeProhibition):
    """The program defines exactly one function (a bare body is one) and no class."""

    kind: ClassVar[str] = "code:single_function"

    def describe(self) -> str:
        return ("Define only the function the task asks for: write it without helper "
                "functions, nested functions or classes (lambda expressions are allowed).")

    def check(self, output: str) -> bool:
        p = program(output)
        return (p is not None and len(_all_functions(p)) == 1
                and not any(issubclass(t, ast.ClassDef) for t in p.node_types))

    def permits(self, fragment: str) -> bool:
        return len(_DEFINITION_RE.findall(fragment)) <= 1
