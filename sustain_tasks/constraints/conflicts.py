"""Which constraints may not be asked for together.

Two constraints conflict when

- they are of the same kind;
- their kinds form a pair in :data:`CONFLICTS` (unordered pairs, so the table is symmetric by
  construction): both could be satisfied only by an unnatural output, one contradicts the
  other, or one makes the other nearly redundant; or
- (value-dependent, only between instances) a floor and a ceiling on the same count leave no
  count that meets both (:data:`BOUND_PAIRS`: "at least 50 words" and "fewer than 40 words"); or
- (value-dependent, only between instances) one demands literal text that the other forbids:
  a kind that requires text exposes it through :meth:`Constraint.demands`, and
  the other kind's ``tolerates()`` (by default its ``permits()``) refuses it. For example
  ``lexical:all_lowercase`` and ``lexical:starts_with`` with "Janet sells", or
  ``lexical:avoid_word`` "total" and ``lexical:include_word`` "total". The rule is applied in
  both directions, so it is symmetric.

Constraints extracted from one source output are all satisfied by it, so they never contradict
each other; the table mainly keeps redundant pairs out of one prompt and guards hand-written
constraint files.
"""

from __future__ import annotations

from sustain_tasks.constraints.base import Constraint

__all__ = ["BOUND_PAIRS", "CONFLICTS", "conflicts", "demanded_text"]

CONFLICTS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in [
        # two bounds on the size of the whole output
        ("length:max_words", "length:max_characters"),
        # lines, sentences and reasoning steps coincide for step-per-line solutions
        ("length:max_sentences", "length:max_lines"),
        ("content:reasoning_steps", "length:max_sentences"),
        ("content:reasoning_steps", "length:max_lines"),
        # list layouts exclude each other
        ("format:numbered_steps", "format:bullet_list"),
        ("format:numbered_steps", "format:no_lists"),
        ("format:bullet_list", "format:no_lists"),
        # two ways of marking the final answer
        ("format:boxed_answer", "format:final_line_prefix"),
        ("format:boxed_answer", "content:answer_length"),
        ("format:final_line_prefix", "content:answer_length"),
        # code: a rule and its opposite
        ("code:no_imports", "code:only_imports"),
        ("code:docstring", "code:no_docstring"),
        # using and avoiding constructs: contradictory for one construct, and one prompt
        # should not stack two rules about control flow
        ("code:uses_construct", "code:avoids_construct"),
        # lines of an answer that is mostly one function and lines of that function
        ("code:max_function_lines", "length:max_lines"),
        # -- the kinds that complete IFEval's vocabulary ------------------------------------
        # a floor and a ceiling on the same count are compared by value (see _BOUND_PAIRS);
        # paragraphs counted in two ways, or fixed twice
        ("length:min_paragraphs", "format:divided_paragraphs"),
        ("length:min_paragraphs", "format:paragraph_first_word"),
        ("length:max_paragraphs", "format:divided_paragraphs"),
        ("length:max_paragraphs", "format:paragraph_first_word"),
        ("format:divided_paragraphs", "format:paragraph_first_word"),
        ("format:sections", "format:divided_paragraphs"),
        ("format:sections", "format:paragraph_first_word"),
        # list layouts: a counted list is a list
        ("format:bullet_count", "format:bullet_list"),
        ("format:bullet_count", "format:no_lists"),
        ("format:bullet_count", "format:numbered_steps"),
        # emphasis asked for and forbidden
        ("format:highlights", "format:no_bold"),
        # one list of keywords and one keyword: redundant
        ("lexical:include_keywords", "lexical:include_word"),
        ("lexical:avoid_keywords", "lexical:avoid_word"),
        ("lexical:keyword_frequency", "lexical:include_word"),
        ("lexical:keyword_frequency", "lexical:include_keywords"),
        # case rules
        ("lexical:all_capitals", "lexical:all_lowercase"),
        ("lexical:all_capitals", "lexical:capital_words"),
        ("lexical:capital_words", "lexical:all_lowercase"),
        # the language identifier reads case-folded or keyword-stuffed text poorly, and fixed
        # English words (keywords, openings, endings, section markers) fight another language
        ("lexical:response_language", "lexical:all_capitals"),
        ("lexical:response_language", "lexical:all_lowercase"),
        ("lexical:response_language", "lexical:include_word"),
        ("lexical:response_language", "lexical:include_keywords"),
        ("lexical:response_language", "lexical:keyword_frequency"),
        ("lexical:response_language", "lexical:starts_with"),
        ("lexical:response_language", "format:end_phrase"),
        ("lexical:response_language", "format:sections"),
        ("lexical:response_language", "format:constrained_response"),
        ("lexical:response_language", "format:repeat_prompt"),
        # the start and the end of the response fixed twice
        ("format:repeat_prompt", "lexical:starts_with"),
        ("format:repeat_prompt", "format:quoted"),
        ("format:repeat_prompt", "format:two_responses"),
        ("format:end_phrase", "format:final_line_prefix"),
        ("format:end_phrase", "format:postscript"),
        ("format:end_phrase", "content:answer_length"),
        ("format:postscript", "format:final_line_prefix"),
        ("format:postscript", "content:answer_length"),
        ("format:quoted", "format:two_responses"),
        ("format:quoted", "format:final_line_prefix"),
        # the separators of two responses contain the paragraph divider
        ("format:two_responses", "format:divided_paragraphs"),
        # JSON leaves room for no other layout
        *(("format:json_output", other) for other in (
            "format:boxed_answer", "format:bullet_count", "format:bullet_list",
            "format:constrained_response", "format:divided_paragraphs", "format:end_phrase",
            "format:fenced_code_block", "format:final_line_prefix", "format:highlights",
            "format:numbered_steps", "format:paragraph_first_word", "format:placeholders",
            "format:postscript", "format:quoted", "format:repeat_prompt", "format:sections",
            "format:title", "format:two_responses", "length:max_paragraphs",
            "length:max_sentences", "length:min_paragraphs", "length:min_sentences",
            "lexical:starts_with", "content:answer_length", "content:reasoning_steps",
            "lexical:all_capitals", "lexical:all_lowercase")),
        # a fixed answer among options leaves room for no length, layout or wording rule
        *(("format:constrained_response", other) for other in (
            "format:bullet_count", "format:divided_paragraphs", "format:end_phrase",
            "format:highlights", "format:paragraph_first_word", "format:placeholders",
            "format:postscript", "format:quoted", "format:repeat_prompt", "format:sections",
            "format:title", "format:two_responses", "format:numbered_steps",
            "format:bullet_list", "format:boxed_answer", "format:final_line_prefix",
            "length:min_words", "length:min_sentences", "length:min_paragraphs",
            "lexical:all_capitals", "lexical:all_lowercase", "lexical:starts_with",
            "lexical:capital_words", "content:answer_length", "content:reasoning_steps")),
    ]
)
"""Unordered pairs of kind ids that are never combined."""


BOUND_PAIRS: dict[frozenset[str], tuple[str, str, str, str, bool]] = {
    frozenset((floor, ceiling)): (floor, floor_field, ceiling, ceiling_field, strict)
    for floor, floor_field, ceiling, ceiling_field, strict in [
        ("length:min_words", "minimum", "length:max_words", "limit", True),
        ("length:min_sentences", "minimum", "length:max_sentences", "limit", False),
        ("length:min_paragraphs", "minimum", "length:max_paragraphs", "limit", False),
    ]
}
"""A floor and a ceiling on one count: ``(floor kind, its field, ceiling kind, its field,
strict)``; they conflict when no count meets both (``count < limit`` when ``strict``, else
``count <= limit``). Between kind ids alone they do not conflict (a range is a fair request)."""


def _empty_range(a: Constraint, b: Constraint) -> bool:
    pair = BOUND_PAIRS.get(frozenset((a.kind, b.kind)))
    if pair is None or a.kind == b.kind:
        return False
    floor_kind, floor_field, _, ceiling_field, strict = pair
    floor, ceiling = (a, b) if a.kind == floor_kind else (b, a)
    low = int(getattr(floor, floor_field))
    high = int(getattr(ceiling, ceiling_field))
    return low >= high if strict else low > high


def demanded_text(constraint: Constraint) -> tuple[str, ...]:
    """Literal text every output satisfying ``constraint`` contains (empty when none)."""
    return tuple(t for t in constraint.demands() if t)


def _forbids_demand(a: Constraint, b: Constraint) -> bool:
    return any(not a.tolerates(text) for text in demanded_text(b))


def conflicts(a: Constraint | str, b: Constraint | str) -> bool:
    """True when the two constraints (or kind ids) may not be combined."""
    ka = a if isinstance(a, str) else a.kind
    kb = b if isinstance(b, str) else b.kind
    if ka == kb or frozenset((ka, kb)) in CONFLICTS:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return False
    return _empty_range(a, b) or _forbids_demand(a, b) or _forbids_demand(b, a)
