"""IFEval's vocabulary: its 25 instruction ids as constraints, and back.

:func:`from_ifeval` turns an IFEval instruction id and its keyword arguments (as in IFEval's
``input_data.jsonl``: ``instruction_id_list`` and ``kwargs``) into a constraint of this library;
:func:`to_ifeval` gives the IFEval id and arguments of a constraint where IFEval has one.
:func:`read_ifeval_rows` and :func:`read_ifeval_responses` read IFEval's two files for
``sustain check --ifeval``.

The mapping (which kind each id becomes, and where the two definitions differ on purpose) is
the table in ``sustain_tasks/constraints/README.md``; ``tests/constraints/test_ifeval_agreement.py``
compares both checkers on the same texts.

Arguments are read as IFEval reads them: a ``None`` (or empty) value is the same as a missing
one. IFEval draws a missing argument at random; here a missing required argument is an error, so
a row always means one constraint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sustain_tasks.constraints.base import Constraint
from sustain_tasks.constraints.bounds import MinSentences, MinWords
from sustain_tasks.constraints.layout import (
    BulletCount,
    ConstrainedResponse,
    DividedParagraphs,
    EndPhrase,
    Highlights,
    JsonOutput,
    ParagraphFirstWord,
    Placeholders,
    Postscript,
    Quoted,
    RepeatPrompt,
    Sections,
    Title,
    TwoResponses,
)
from sustain_tasks.constraints.length import MaxSentences, MaxWords
from sustain_tasks.constraints.lexical import AllLowercase, AvoidWord, IncludeWord, NoCommas
from sustain_tasks.constraints.wording import (
    RELATIONS,
    AllCapitals,
    AvoidKeywords,
    CapitalWords,
    IncludeKeywords,
    KeywordFrequency,
    LetterFrequency,
    ResponseLanguage,
)
from sustain_tasks.errors import SustainInputError

__all__ = [
    "IFEVAL_IDS",
    "IFEVAL_OPTIONS",
    "IfevalRow",
    "from_ifeval",
    "ifeval_kinds",
    "read_ifeval_responses",
    "read_ifeval_rows",
    "to_ifeval",
]

IFEVAL_OPTIONS: tuple[str, ...] = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
"""The fixed options of IFEval's ``detectable_format:constrained_response``."""

_Args = dict[str, Any]


@dataclass(frozen=True)
class _Spec:
    """One IFEval id: its arguments (required, optional) and how they become a constraint."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable[[_Args], Constraint]
    kinds: tuple[str, ...]


def _int(args: _Args, name: str) -> int:
    value = args[name]
    if isinstance(value, bool) or not isinstance(value, int):
        # IFEval's data holds integers; a float such as 3.0 is accepted when whole
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise SustainInputError(f"must be an integer, got {value!r}", field=f"kwargs.{name}")
    return value


def _str(args: _Args, name: str) -> str:
    value = args[name]
    if not isinstance(value, str):
        raise SustainInputError(f"must be a string, got {value!r}", field=f"kwargs.{name}")
    return value


def _strs(args: _Args, name: str) -> tuple[str, ...]:
    value = args[name]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise SustainInputError(f"must be a list of strings, got {value!r}",
                                field=f"kwargs.{name}")
    return tuple(v.strip() for v in value)


def _relation(args: _Args, name: str) -> str:
    value = _str(args, name)
    if value not in RELATIONS:
        raise SustainInputError(f"must be one of {list(RELATIONS)}, got {value!r}",
                                field=f"kwargs.{name}")
    return value


def _sentences(args: _Args) -> Constraint:
    n = _int(args, "num_sentences")
    if _relation(args, "relation") == "at least":
        return MinSentences(n)
    if n < 2:
        raise SustainInputError("'less than 1 sentence' asks for an empty response; use a "
                                "threshold of at least 2", field="kwargs.num_sentences")
    return MaxSentences(n - 1)


def _words(args: _Args) -> Constraint:
    n = _int(args, "num_words")
    return MinWords(n) if _relation(args, "relation") == "at least" else MaxWords(n)


def _options(args: _Args) -> Constraint:
    del args
    return ConstrainedResponse(IFEVAL_OPTIONS)


_SPECS: dict[str, _Spec] = {
    "keywords:existence": _Spec(
        ("keywords",), (), lambda a: IncludeKeywords(_strs(a, "keywords")),
        ("lexical:include_keywords",)),
    "keywords:frequency": _Spec(
        ("keyword", "frequency", "relation"), (),
        lambda a: KeywordFrequency(_str(a, "keyword").strip(), _int(a, "frequency"),
                                   _relation(a, "relation")),
        ("lexical:keyword_frequency",)),
    "keywords:forbidden_words": _Spec(
        ("forbidden_words",), (), lambda a: AvoidKeywords(_strs(a, "forbidden_words")),
        ("lexical:avoid_keywords",)),
    "keywords:letter_frequency": _Spec(
        ("letter", "let_frequency", "let_relation"), (),
        lambda a: LetterFrequency(_str(a, "letter").strip().lower(), _int(a, "let_frequency"),
                                  _relation(a, "let_relation")),
        ("lexical:letter_frequency",)),
    "language:response_language": _Spec(
        ("language",), (), lambda a: ResponseLanguage(_str(a, "language")),
        ("lexical:response_language",)),
    "length_constraints:number_sentences": _Spec(
        ("num_sentences", "relation"), (), _sentences,
        ("length:max_sentences", "length:min_sentences")),
    "length_constraints:number_paragraphs": _Spec(
        ("num_paragraphs",), (), lambda a: DividedParagraphs(_int(a, "num_paragraphs")),
        ("format:divided_paragraphs",)),
    "length_constraints:number_words": _Spec(
        ("num_words", "relation"), (), _words, ("length:max_words", "length:min_words")),
    "length_constraints:nth_paragraph_first_word": _Spec(
        ("num_paragraphs", "nth_paragraph", "first_word"), (),
        lambda a: ParagraphFirstWord(_int(a, "num_paragraphs"), _int(a, "nth_paragraph"),
                                     _str(a, "first_word").strip().lower()),
        ("format:paragraph_first_word",)),
    "detectable_content:number_placeholders": _Spec(
        ("num_placeholders",), (), lambda a: Placeholders(_int(a, "num_placeholders")),
        ("format:placeholders",)),
    "detectable_content:postscript": _Spec(
        ("postscript_marker",), (), lambda a: Postscript(_str(a, "postscript_marker").strip()),
        ("format:postscript",)),
    "detectable_format:number_bullet_lists": _Spec(
        ("num_bullets",), (), lambda a: BulletCount(_int(a, "num_bullets")),
        ("format:bullet_count",)),
    "detectable_format:constrained_response": _Spec(
        (), (), _options, ("format:constrained_response",)),
    "detectable_format:number_highlighted_sections": _Spec(
        ("num_highlights",), (), lambda a: Highlights(_int(a, "num_highlights")),
        ("format:highlights",)),
    "detectable_format:multiple_sections": _Spec(
        ("section_spliter", "num_sections"), (),
        lambda a: Sections(_int(a, "num_sections"), _str(a, "section_spliter").strip()),
        ("format:sections",)),
    "detectable_format:json_format": _Spec((), (), lambda a: JsonOutput(),
                                           ("format:json_output",)),
    "detectable_format:title": _Spec((), (), lambda a: Title(), ("format:title",)),
    "combination:two_responses": _Spec((), (), lambda a: TwoResponses(),
                                       ("format:two_responses",)),
    "combination:repeat_prompt": _Spec(
        ("prompt_to_repeat",), (), lambda a: RepeatPrompt(_str(a, "prompt_to_repeat")),
        ("format:repeat_prompt",)),
    "startend:end_checker": _Spec(
        ("end_phrase",), (), lambda a: EndPhrase(_str(a, "end_phrase").strip()),
        ("format:end_phrase",)),
    "change_case:capital_word_frequency": _Spec(
        ("capital_frequency", "capital_relation"), (),
        lambda a: CapitalWords(_int(a, "capital_frequency"), _relation(a, "capital_relation")),
        ("lexical:capital_words",)),
    "change_case:english_capital": _Spec((), (), lambda a: AllCapitals(),
                                         ("lexical:all_capitals",)),
    "change_case:english_lowercase": _Spec((), (), lambda a: AllLowercase(),
                                           ("lexical:all_lowercase",)),
    "punctuation:no_comma": _Spec((), (), lambda a: NoCommas(), ("lexical:no_commas",)),
    "startend:quotation": _Spec((), (), lambda a: Quoted(), ("format:quoted",)),
}

IFEVAL_IDS: tuple[str, ...] = tuple(sorted(_SPECS))
"""Every instruction id of IFEval (the 25 of lm-eval's ``INSTRUCTION_DICT``)."""


def ifeval_kinds(instruction_id: str) -> tuple[str, ...]:
    """The constraint kinds an IFEval id may become (two for the ids with a relation)."""
    return _spec(instruction_id).kinds


def _spec(instruction_id: str) -> _Spec:
    try:
        return _SPECS[instruction_id]
    except KeyError:
        raise SustainInputError(
            f"unknown IFEval instruction id {instruction_id!r}; known ids: "
            f"{', '.join(IFEVAL_IDS)}", field="instruction_id_list") from None


def from_ifeval(instruction_id: str, kwargs: Mapping[str, Any] | None = None) -> Constraint:
    """The constraint for IFEval's ``instruction_id`` with its keyword arguments.

    Raises:
        SustainInputError: an unknown id, an unknown, missing or ill-typed argument, or a value
            the kind refuses (the field names the argument: ``kwargs.num_words``).
    """
    spec = _spec(instruction_id)
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, Mapping):
        raise SustainInputError(f"must be an object, got {kwargs!r}", field="kwargs")
    args = {k: v for k, v in kwargs.items() if v is not None and v != "" and v != []}
    unknown = sorted(set(args) - set(spec.required) - set(spec.optional))
    if unknown:
        raise SustainInputError(
            f"unknown argument(s) {unknown} for {instruction_id} (it takes "
            f"{list(spec.required + spec.optional) or 'none'})", field="kwargs")
    for name in spec.required:
        if name not in args:
            raise SustainInputError(f"missing argument for {instruction_id}",
                                    field=f"kwargs.{name}")
    try:
        return spec.build(args)
    except SustainInputError:
        raise
    except (TypeError, ValueError) as exc:
        raise SustainInputError(f"invalid arguments for {instruction_id}: {exc}",
                                field="kwargs") from None


def to_ifeval(constraint: Constraint) -> tuple[str, dict[str, Any]] | None:
    """IFEval's instruction id and arguments for ``constraint``, or None when IFEval has none.

    ``from_ifeval(*to_ifeval(c)) == c`` for every constraint that has one, except the
    single-word kinds ``lexical:include_word`` and ``lexical:avoid_word``, which come back as
    their keyword-list forms.
    """
    c = constraint
    result: tuple[str, dict[str, Any]] | None = None
    if isinstance(c, IncludeKeywords):
        result = ("keywords:existence", {"keywords": list(c.keywords)})
    elif isinstance(c, IncludeWord):
        result = ("keywords:existence", {"keywords": [c.word]})
    elif isinstance(c, AvoidKeywords):
        result = ("keywords:forbidden_words", {"forbidden_words": list(c.keywords)})
    elif isinstance(c, AvoidWord):
        result = ("keywords:forbidden_words", {"forbidden_words": [c.word]})
    elif isinstance(c, KeywordFrequency):
        result = ("keywords:frequency",
                  {"keyword": c.keyword, "frequency": c.times, "relation": c.relation})
    elif isinstance(c, LetterFrequency):
        result = ("keywords:letter_frequency", {"letter": c.letter, "let_frequency": c.times,
                                                "let_relation": c.relation})
    elif isinstance(c, ResponseLanguage):
        result = ("language:response_language", {"language": c.language})
    elif isinstance(c, MinSentences):
        result = ("length_constraints:number_sentences",
                  {"num_sentences": c.minimum, "relation": "at least"})
    elif isinstance(c, MaxSentences):
        result = ("length_constraints:number_sentences",
                  {"num_sentences": c.limit + 1, "relation": "less than"})
    elif isinstance(c, MinWords):
        result = ("length_constraints:number_words",
                  {"num_words": c.minimum, "relation": "at least"})
    elif isinstance(c, MaxWords):
        result = ("length_constraints:number_words",
                  {"num_words": c.limit, "relation": "less than"})
    elif isinstance(c, DividedParagraphs):
        result = ("length_constraints:number_paragraphs", {"num_paragraphs": c.count})
    elif isinstance(c, ParagraphFirstWord):
        result = ("length_constraints:nth_paragraph_first_word",
                  {"num_paragraphs": c.paragraphs, "nth_paragraph": c.nth,
                   "first_word": c.word})
    elif isinstance(c, Placeholders):
        result = ("detectable_content:number_placeholders", {"num_placeholders": c.minimum})
    elif isinstance(c, Postscript):
        result = ("detectable_content:postscript", {"postscript_marker": c.marker})
    elif isinstance(c, BulletCount):
        result = ("detectable_format:number_bullet_lists", {"num_bullets": c.count})
    elif isinstance(c, ConstrainedResponse) and c.options == IFEVAL_OPTIONS:
        result = ("detectable_format:constrained_response", {})
    elif isinstance(c, Highlights):
        result = ("detectable_format:number_highlighted_sections",
                  {"num_highlights": c.minimum})
    elif isinstance(c, Sections):
        result = ("detectable_format:multiple_sections",
                  {"section_spliter": c.splitter, "num_sections": c.count})
    elif isinstance(c, RepeatPrompt):
        result = ("combination:repeat_prompt", {"prompt_to_repeat": c.prompt})
    elif isinstance(c, EndPhrase):
        result = ("startend:end_checker", {"end_phrase": c.phrase})
    elif isinstance(c, CapitalWords):
        result = ("change_case:capital_word_frequency",
                  {"capital_frequency": c.times, "capital_relation": c.relation})
    else:
        simple: dict[type[Constraint], str] = {
            JsonOutput: "detectable_format:json_format", Title: "detectable_format:title",
            TwoResponses: "combination:two_responses", AllCapitals: "change_case:english_capital",
            AllLowercase: "change_case:english_lowercase", NoCommas: "punctuation:no_comma",
            Quoted: "startend:quotation",
        }
        if type(c) in simple:
            result = (simple[type(c)], {})
    return result


@dataclass(frozen=True)
class IfevalRow:
    """One row of IFEval's ``input_data.jsonl``, its instructions read as constraints."""

    key: str
    prompt: str
    instruction_ids: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    line: int


def read_ifeval_rows(path: str | Path) -> list[IfevalRow]:
    """The rows of an IFEval ``input_data.jsonl`` file (``key``, ``prompt``,
    ``instruction_id_list``, ``kwargs``), each instruction turned into a constraint.

    Raises:
        SustainInputError: naming the file, the line and the field (``kwargs[1].num_words``)
            of a malformed row, an unknown instruction id or a bad argument, or a key given
            twice.
    """
    from sustain_tasks.records import iter_jsonl, sample_id

    rows: list[IfevalRow] = []
    seen: dict[str, int] = {}
    for line, record in iter_jsonl(path):
        for name in ("key", "prompt", "instruction_id_list", "kwargs"):
            if name not in record:
                raise SustainInputError("missing", path=path, line=line, field=name)
        key = sample_id(record["key"], path=path, line=line, field="key")
        if key in seen:
            raise SustainInputError(f"key {key} is also on line {seen[key]}", path=path,
                                    line=line, field="key")
        seen[key] = line
        prompt = record["prompt"]
        if not isinstance(prompt, str):
            raise SustainInputError(f"must be a string, got {type(prompt).__name__}",
                                    path=path, line=line, field="prompt")
        ids, kwargs = record["instruction_id_list"], record["kwargs"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise SustainInputError("must be a non-empty list of instruction ids", path=path,
                                    line=line, field="instruction_id_list")
        if not isinstance(kwargs, list) or len(kwargs) != len(ids):
            raise SustainInputError(
                f"must be a list of {len(ids)} objects, one per instruction id", path=path,
                line=line, field="kwargs")
        constraints: list[Constraint] = []
        for i, (instruction_id, args) in enumerate(zip(ids, kwargs, strict=True)):
            try:
                constraints.append(from_ifeval(instruction_id, args))
            except SustainInputError as exc:
                field = exc.field or "kwargs"
                if field == "instruction_id_list":
                    field = f"instruction_id_list[{i}]"
                else:
                    field = field.replace("kwargs", f"kwargs[{i}]", 1)
                raise SustainInputError(exc.message, path=path, line=line,
                                        field=field) from None
        rows.append(IfevalRow(key, prompt, tuple(ids), tuple(constraints), line))
    return rows


def read_ifeval_responses(path: str | Path, rows: list[IfevalRow],
                          variant: str | None = None) -> tuple[dict[str, str], list[str]]:
    """Responses for ``rows`` from an outputs file, by row key, and the lines not matched.

    Each line is either IFEval's ``input_response_data`` form, ``{"prompt", "response"}``,
    matched to the row with the same prompt (compared after stripping surrounding whitespace),
    or this project's form, ``{"id", "output"}``, matched to the row whose ``key`` equals
    ``id``. Both forms may be mixed. A ``null`` response is an empty one. With ``variant``, a
    line whose ``variant`` field names another variant is skipped (lines without one are read).

    Raises:
        SustainInputError: a line with neither form, a non-string response, or two responses
            for one row.
    """
    from sustain_tasks.records import iter_jsonl, sample_id

    by_prompt: dict[str, str] = {}
    for row in rows:
        by_prompt.setdefault(row.prompt.strip(), row.key)
    keys = {row.key for row in rows}
    found: dict[str, str] = {}
    where: dict[str, int] = {}
    unmatched: list[str] = []
    for line, record in iter_jsonl(path):
        if variant is not None and record.get("variant", variant) != variant:
            continue
        if "response" in record:
            text_field, prompt = "response", record.get("prompt")
            if not isinstance(prompt, str):
                raise SustainInputError("missing or not a string (a 'response' line is matched "
                                        "to its row by prompt)", path=path, line=line,
                                        field="prompt")
            key = by_prompt.get(prompt.strip())
            label = f"prompt {prompt.strip()[:40]!r}"
        elif "output" in record:
            text_field = "output"
            if "id" not in record:
                raise SustainInputError("missing (an 'output' line is matched to its row by "
                                        "id, the row's key)", path=path, line=line, field="id")
            item = sample_id(record["id"], path=path, line=line)
            key = item if item in keys else None
            label = f"id {item}"
        else:
            raise SustainInputError("expected {\"prompt\", \"response\"} (IFEval) or "
                                    "{\"id\", \"output\"}", path=path, line=line)
        text = record[text_field]
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise SustainInputError(f"must be a string, got {type(text).__name__}", path=path,
                                    line=line, field=text_field)
        if key is None:
            unmatched.append(label)
            continue
        if key in found:
            raise SustainInputError(f"a second response for key {key} (the first is on line "
                                    f"{where[key]})", path=path, line=line, field=text_field)
        found[key] = text
        where[key] = line
    return found, unmatched
