"""Where the protocol put the inserted text: character spans in a prompt, and the tokens over them.

The runs record the prompt the model was asked and the constraints inserted into it, not the
offsets. The offsets are rebuilt from :mod:`sustain_tasks.protocol` itself: the prompt is split
into the plain prompt and the inserted block, the block is rebuilt with the protocol's own
function, and the rebuilt prompt must equal the recorded one character for character, so a
span is never guessed. Tokens are then matched to characters through the tokenizer's offsets
mapping (:func:`token_span`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sustain_tasks.constraints import Constraint
from sustain_tasks.errors import SustainInputError
from sustain_tasks.protocol import constrained_prompt, placebo_prompt

__all__ = [
    "CharSpan",
    "TokenSpan",
    "constraint_spans",
    "locate",
    "placebo_span",
    "token_span",
]


@dataclass(frozen=True)
class CharSpan:
    """Characters ``[start, end)`` of a text."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def shift(self, offset: int) -> CharSpan:
        """The same span in a text that holds this one from ``offset`` on."""
        return CharSpan(self.start + offset, self.end + offset)


@dataclass(frozen=True)
class TokenSpan:
    """Tokens ``[start, end)`` whose characters overlap a :class:`CharSpan`.

    Attributes:
        start, end: The token range.
        exact: The tokens cover the characters and nothing else but whitespace: no token
            crosses the span's border with a visible character of the text around it.
    """

    start: int
    end: int
    exact: bool

    def __len__(self) -> int:
        return self.end - self.start

    def indices(self) -> range:
        return range(self.start, self.end)


def constraint_spans(prompt: str, constraints: Sequence[Constraint], *,
                     where: str = "prompt") -> list[CharSpan]:
    """The spans of each constraint's sentence in a constrained ``prompt``.

    The prompt must be exactly ``constrained_prompt(plain, constraints)`` for some plain
    prompt; that plain prompt is recovered from the length of the block the protocol appends,
    and the rebuilt prompt is compared with the recorded one.

    Raises:
        SustainInputError: the prompt was not built by the protocol from these constraints
            (``where`` names the field in the message).
    """
    if not constraints:
        raise SustainInputError("no constraints recorded for a constrained prompt", field=where)
    block = constrained_prompt("", constraints)
    if not prompt.endswith(block):
        raise SustainInputError("the recorded prompt does not end with the constraint block "
                                "the protocol builds from the recorded constraints", field=where)
    plain = prompt[: len(prompt) - len(block)]
    if constrained_prompt(plain, constraints) != prompt:
        raise SustainInputError("the recorded prompt differs from the protocol's rebuild",
                                field=where)
    spans: list[CharSpan] = []
    cursor = len(plain) + block.index("\n- ") + 3
    for c in constraints:
        text = c.describe()
        start = prompt.find(text, cursor)
        if start != cursor:
            raise SustainInputError(f"constraint text {text!r} not found where the protocol "
                                    "puts it", field=where)
        spans.append(CharSpan(start, start + len(text)))
        cursor = start + len(text) + 3  # "\n- " before the next one
    return spans


def placebo_span(prompt: str, constraints: Sequence[Constraint], key: str, *,
                 where: str = "prompt") -> CharSpan:
    """The span of the neutral text in a placebo ``prompt`` (built for ``key``, the item id).

    Raises:
        SustainInputError: the prompt is not ``placebo_prompt(plain, constraints, key)``.
    """
    plain, sep, neutral = prompt.rpartition("\n\n")
    if not sep or placebo_prompt(plain, constraints, key=key) != prompt or not neutral:
        raise SustainInputError("the recorded prompt differs from the protocol's placebo "
                                f"rebuild for item {key!r} and the recorded constraints",
                                field=where)
    return CharSpan(len(plain) + 2, len(prompt))


def locate(text: str, part: str, *, where: str = "prompt") -> int:
    """Where ``part`` (a user prompt) starts inside ``text`` (the prompt as the model got it,
    e.g. with a chat template around it); it must occur exactly once.

    Raises:
        SustainInputError: not found, or found more than once.
    """
    first = text.find(part)
    if first < 0:
        raise SustainInputError("the prompt is not found verbatim in the text the model was "
                                "given (a chat template that rewrites the message?)",
                                field=where)
    if text.find(part, first + 1) >= 0:
        raise SustainInputError("the prompt occurs more than once in the text the model was "
                                "given; its span is ambiguous", field=where)
    return first


def token_span(offsets: Sequence[tuple[int, int]], span: CharSpan, text: str) -> TokenSpan:
    """The tokens whose characters overlap ``span`` of ``text``.

    ``offsets`` is the tokenizer's offsets mapping of ``text`` (``(start, end)`` per token;
    special tokens have ``(0, 0)`` and never count). A token overlaps when it shares at least
    one character with the span.

    The rule at the border: a token that crosses it counts in the span, however few of its
    characters are inside (the span widens to whole tokens, so no character of the inserted
    text is lost). When the widening takes in a visible character of the text around the span
    (not only the space or newline a byte-level BPE token or a SentencePiece ``▁`` piece
    carries before a word), the span is marked not ``exact``; the attention report counts
    such items in ``span_exact_share`` rather than dropping them.

    Raises:
        ValueError: no token overlaps the span (an empty span or offsets of another text).
    """
    inside = [i for i, (a, b) in enumerate(offsets)
              if b > a and a < span.end and b > span.start]
    if not inside:
        raise ValueError(f"no token overlaps characters {span.start}..{span.end}")
    first, last = inside[0], inside[-1]
    if inside != list(range(first, last + 1)):
        raise ValueError("the tokens over the span are not contiguous")
    lo, hi = offsets[first][0], offsets[last][1]
    spill = text[lo:span.start] + text[span.end:hi]
    return TokenSpan(first, last + 1, exact=not spill.strip())
