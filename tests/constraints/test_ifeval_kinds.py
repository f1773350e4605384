"""Golden tests for the kinds that complete IFEval's vocabulary (``bounds``, ``wording`` and
``layout``): passing and failing outputs for each, their extraction, modes and conflicts."""

from __future__ import annotations

import pytest

from sustain_tasks.constraints import (
    Constraint,
    SourceContext,
    all_kinds,
    conflicts,
    constraint_from_record,
    extract_constraints,
    extraction_mode,
    resolve_kinds,
    validate_set,
)
from sustain_tasks.constraints.bounds import MinParagraphs, MinSentences, MinWords, floor_bounds
from sustain_tasks.constraints.extract import DEFAULT_KINDS
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
from sustain_tasks.constraints.length import MaxParagraphs, MaxSentences, MaxWords
from sustain_tasks.constraints.lexical import AllLowercase, IncludeWord, NoCommas, StartsWith
from sustain_tasks.constraints.wording import (
    AllCapitals,
    AvoidKeywords,
    CapitalWords,
    IncludeKeywords,
    KeywordFrequency,
    LetterFrequency,
    ResponseLanguage,
    capital_words,
    count_keyword,
    detect_language,
)
from sustain_tasks.errors import SustainInputError

CTX = SourceContext(task="t", item_id="1")

NEW_KINDS = (
    "format:bullet_count", "format:constrained_response", "format:divided_paragraphs",
    "format:end_phrase", "format:highlights", "format:json_output", "format:paragraph_first_word",
    "format:placeholders", "format:postscript", "format:quoted", "format:repeat_prompt",
    "format:sections", "format:title", "format:two_responses", "length:min_paragraphs",
    "length:min_sentences", "length:min_words", "lexical:all_capitals", "lexical:avoid_keywords",
    "lexical:capital_words", "lexical:include_keywords", "lexical:keyword_frequency",
    "lexical:letter_frequency", "lexical:response_language",
)

FRENCH = ("Le marché du village ouvre tôt le matin. Les fermiers vendent des œufs frais, du "
          "fromage et des légumes de saison à tous les habitants du quartier.")
GERMAN = ("Der Markt im Dorf öffnet früh am Morgen. Die Bauern verkaufen frische Eier, Käse und "
          "Gemüse der Saison an alle Bewohner des Viertels.")
RUSSIAN = ("Рынок в деревне открывается рано утром. Фермеры продают свежие яйца, сыр и сезонные "
           "овощи всем жителям района.")
CHINESE = "村里的市场早上很早就开门。农民们向附近的居民出售新鲜的鸡蛋、奶酪和时令蔬菜。"
ENGLISH = ("The village market opens early in the morning. Farmers sell fresh eggs, cheese and "
           "seasonal vegetables to everyone who lives nearby.")

GOLDEN: list[tuple[Constraint, str, bool]] = [
    # lower bounds
    (MinWords(5), "one two three four five", True),
    (MinWords(5), "one two three four", False),
    (MinWords(4), "\\frac{\\sqrt{21}}{5} only", False),  # command names are not words
    (MinSentences(2), "First sentence. Second one!", True),
    (MinSentences(2), "Only one sentence here.\n#### 18", False),
    (MinSentences(3), "We get\n$$x = 5$$\nwhich is odd. So it is. Done.", True),
    (MinParagraphs(2), "a\n\nb", True),
    (MinParagraphs(2), "a\nb\nc", False),
    (MinParagraphs(3), "a\n \t \nb\n\n\nc", True),
    # keywords: whole words or phrases, any case, outside LaTeX command names
    (IncludeKeywords(("art", "fresh eggs")), "Art of selling FRESH\neggs.", True),
    (IncludeKeywords(("art",)), "a part of the start", False),
    (IncludeKeywords(("left",)), "$\\left( x \\right)$", False),
    (IncludeKeywords(("café",)), "Un café, s'il vous plaît.", True),
    (IncludeKeywords(("рынок",)), RUSSIAN, True),
    (AvoidKeywords(("art", "total")), "a part of the start", True),
    (AvoidKeywords(("art", "total")), "In total, 5.", False),
    (KeywordFrequency("egg", 2, "at least"), "An egg, another Egg.", True),
    (KeywordFrequency("egg", 2, "at least"), "An egg and eggs and eggplant.", False),
    (KeywordFrequency("egg", 2, "less than"), "An egg and eggs.", True),
    (KeywordFrequency("egg", 2, "less than"), "egg egg", False),
    (LetterFrequency("a", 3, "at least"), "A banana", True),
    (LetterFrequency("a", 3, "at least"), "A b c", False),
    (LetterFrequency("z", 1, "less than"), "no such letter", True),
    (LetterFrequency("z", 1, "less than"), "Zebra", False),
    # capitals
    (CapitalWords(2, "at least"), "NASA and the ESA agree.", True),
    (CapitalWords(2, "at least"), "I say A and NASA.", False),  # single letters are not words
    (CapitalWords(1, "less than"), "Plain text with $ABC$ math and `CODE`.", True),
    (CapitalWords(1, "less than"), "THIS is loud.", False),
    (CapitalWords(1, "at least"), "ÉTÉ CHAUD", True),
    (AllCapitals(), "THE ANSWER IS $x^2$ AND \\frac{A}{B}.", True),
    (AllCapitals(), "THE ANSWER is HERE.", False),
    (AllCapitals(), "1234 + 5", False),  # no letter at all
    (AllCapitals(), "ПРИВЕТ МИР", True),
    (AllCapitals(), "Привет МИР", False),
    # language
    (ResponseLanguage("fr"), FRENCH, True),
    (ResponseLanguage("fr"), ENGLISH, False),
    (ResponseLanguage("de"), GERMAN, True),
    (ResponseLanguage("ru"), RUSSIAN, True),
    (ResponseLanguage("zh"), CHINESE, True),
    (ResponseLanguage("en"), ENGLISH + "\n```python\nprint('bonjour le monde')\n```", True),
    (ResponseLanguage("en"), "$$x^2 + 1 = 5$$ 42", False),  # no letters: no language
    # title
    (Title(), "<<Poem of joy>>\nRoses are red.", True),
    (Title(), "Roses are red.", False),
    (Title(), "<<  >> nothing inside", False),
    (Title(), "Code: `x << 2 >> 1` only.", False),
    # JSON
    (JsonOutput(), '{"a": 1, "b": [true, null]}', True),
    (JsonOutput(), '```json\n{"a": 1}\n```', True),
    (JsonOutput(), '```JSON\n["x"]\n```', True),
    (JsonOutput(), 'Here it is: {"a": 1}', False),
    (JsonOutput(), "[" * 100_000, False),
    # sections
    (Sections(2, "SECTION"), "SECTION 1\nIntro.\nSECTION 2\nBody.", True),
    (Sections(2, "SECTION"), "## SECTION 1\nIntro.\n**SECTION 2**\nBody.", True),
    (Sections(2, "SECTION"), "SECTION 1\nIntro.\nSECTION 2\nBody.\nSECTION 3\nEnd.", False),
    (Sections(2, "SECTION"), "SECTION 1\nIntro, as in SECTION 2 below.", False),
    (Sections(1, "Section"), "SECTION 1\nwrong case.", False),
    # bullets
    (BulletCount(2), "* one\n* two", True),
    (BulletCount(2), "- one\n  - nested\n", True),
    (BulletCount(2), "* one\n* two\n* three", False),
    (BulletCount(1), "* one\n---\n-5 is negative\n*emphasis* here", True),
    # highlights
    (Highlights(2), "Some *italic* and **bold** text.", True),
    (Highlights(2), "Only *one* here.", False),
    (Highlights(1), "We compute 2 * 3 * 4 = 24.", False),
    (Highlights(1), "Math $a*b*c$ and `x*y*z` are not highlights.", False),
    # paragraphs divided by ***
    (DividedParagraphs(3), "First.\n***\nSecond.\n***\nThird.", True),
    (DividedParagraphs(3), "***\nFirst.\n***\nSecond.\n***\nThird.\n***", True),
    (DividedParagraphs(2), "First.\n***\n\n***\nThird.", False),
    (DividedParagraphs(2), "A ***bold*** word.\nNo divider.", False),
    (DividedParagraphs(1), "A ***bold*** word.", True),
    # first word of the n-th paragraph
    (ParagraphFirstWord(2, 2, "however"), "Intro.\n\nHowever, it works.", True),
    (ParagraphFirstWord(2, 2, "however"), "Intro.\n\n**However**, it works.", True),
    (ParagraphFirstWord(2, 2, "however"), "Intro.\n\nBut it works.", False),
    (ParagraphFirstWord(3, 2, "however"), "Intro.\n\nHowever, it works.", False),
    (ParagraphFirstWord(2, 1, "der"), GERMAN + "\n\nEnde.", True),
    # two responses
    (TwoResponses(), "First answer.\n******\nSecond answer.", True),
    (TwoResponses(), "Same.\n******\nSame.", False),
    (TwoResponses(), "Only one answer.", False),
    (TwoResponses(), "A.\n******\n******\nB.", False),
    # quotation
    (Quoted(), '  "All of it is quoted."  ', True),
    (Quoted(), "\u201cCurly quotes too.\u201d", True),
    (Quoted(), '"Half quoted.', False),
    (Quoted(), '"', False),
    # placeholders
    (Placeholders(2), "Dear [name], your order to [address] shipped.", True),
    (Placeholders(2), "Dear [name], see [the docs](https://x.y) and \\[x = 5\\].", False),
    (Placeholders(1), "A citation [1] and an empty [] pair.", False),
    # postscript
    (Postscript("P.S."), "Hello there.\n\nP.S. See you soon.", True),
    (Postscript("P.S."), "Hello there.\n\n**p. s.** See you soon.", True),
    (Postscript("P.S."), "P.S. alone on the first line.", False),
    (Postscript("P.P.S"), "Body.\nP.S. one\nP.P.S two", True),
    (Postscript("P.P.S"), "Body.\nP.S. only", False),
    # end phrase
    (EndPhrase("Any other questions?"), "Done.\nAny other questions?", True),
    (EndPhrase("Any other questions?"), '"Done. **any other questions?**"', True),
    (EndPhrase("Any other questions?"), "Any other questions? Yes.", False),
    # constrained options
    (ConstrainedResponse(("My answer is yes.", "My answer is no.")), "My answer is yes.", True),
    (ConstrainedResponse(("My answer is yes.", "My answer is no.")),
     "My answer is yes. My answer is no.", False),
    (ConstrainedResponse(("My answer is yes.", "My answer is no.")), "Yes.", False),
    # repeat the prompt
    (RepeatPrompt("Write a haiku\nabout the sea."), "write a haiku about   the sea. Waves...",
     True),
    (RepeatPrompt("Write a haiku about the sea."), "Sure! Write a haiku about the sea.", False),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN,
                         ids=[f"{c.kind}-{i}" for i, (c, _, _) in enumerate(GOLDEN)])
def test_golden(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_every_new_kind_has_golden_cases_both_ways() -> None:
    seen: dict[str, set[bool]] = {}
    for constraint, _, expected in GOLDEN:
        seen.setdefault(constraint.kind, set()).add(expected)
    for kind in NEW_KINDS:
        assert seen.get(kind) == {True, False}, kind
    assert set(NEW_KINDS) <= set(all_kinds())


def test_measurements() -> None:
    assert count_keyword("Egg, egg; EGG eggs", "egg") == 3
    assert count_keyword("brand\n new and brand new", "brand new") == 2
    assert capital_words("NASA, ESA and I") == 2
    assert detect_language("1 + 1 = 2") is None
    assert list(floor_bounds(87, ratio=0.9)) == [75, 60, 50, 40, 30, 25, 20, 15, 12, 10, 9, 8,
                                                 7, 6, 5, 4, 3, 2, 1]


def test_language_identification_is_deterministic() -> None:
    short = "Ciao amico mio"  # short texts are where an unseeded detector wavers
    assert len({detect_language(short) for _ in range(20)}) == 1


def test_extraction_modes_keep_the_defaults() -> None:
    kinds = all_kinds()
    for kind in NEW_KINDS:
        assert extraction_mode(kinds[kind]) in ("by id", "none"), kind
    defaults = resolve_kinds(None, default=DEFAULT_KINDS)
    assert not set(defaults) & set(NEW_KINDS)
    assert set(NEW_KINDS) <= set(resolve_kinds("length,format,lexical", every=True))
    # file-only kinds propose nothing, even on a source that has their form
    for kind in NEW_KINDS:
        if extraction_mode(kinds[kind]) == "none":
            source = kinds[kind].example().describe()
            assert list(kinds[kind].candidates(source, CTX)) == [], kind


SOURCES = [
    "<<The market>>\n\nThe village market opens early. Farmers sell fresh eggs. Eggs are "
    "cheap.\n\nHowever, cheese costs more. *Fresh* bread is **sold** out.\n\n"
    "* eggs\n* cheese\n\nDear [name], see you at [place].\n\nP.S. Bring a bag.",
    "SECTION 1\nThe first part of the text talks about eggs.\n***\n"
    "SECTION 2\nThe second part talks about more eggs and cheese.",
    FRENCH + "\n\n" + FRENCH,
    '"Quoted answer, with eggs and more eggs."',
    '{"answer": "eggs", "count": 12}',
    "First take.\n******\nSecond take.",
]


@pytest.mark.parametrize("source", SOURCES)
def test_by_id_extraction_is_self_evident(source: str) -> None:
    ctx = SourceContext(task="t", item_id="9", seed=3)
    kinds = all_kinds()
    proposed = 0
    for kind in NEW_KINDS:
        for candidate in kinds[kind].candidates(source, ctx):
            proposed += 1
            assert extraction_mode(kinds[kind]) == "by id", kind
            rebuilt = constraint_from_record(candidate.to_record())
            assert rebuilt == candidate
    assert proposed
    chosen = extract_constraints(source, ctx, k=3, kinds=list(NEW_KINDS))
    assert chosen
    assert validate_set(chosen) is None
    for c in chosen:
        assert c.check(source), c


def test_every_by_id_kind_is_extractable_from_some_source() -> None:
    kinds = all_kinds()
    wanted = {k for k in NEW_KINDS if extraction_mode(kinds[k]) == "by id"}
    extracted: set[str] = set()
    for source in [*SOURCES, "THE MARKET OPENS EARLY.", ENGLISH * 3]:
        for kind in wanted:
            for c in extract_constraints(source, CTX, k=1, kinds=[kind]):
                assert c.check(source)
                extracted.add(c.kind)
    assert extracted == wanted


def test_extraction_forms() -> None:
    source = SOURCES[0]
    by_kind = {kind: next(all_kinds()[kind].candidates(source, CTX), None) for kind in NEW_KINDS}
    assert by_kind["format:title"] == Title()
    assert by_kind["format:postscript"] == Postscript("P.S.")
    assert by_kind["format:bullet_count"] == BulletCount(2)
    assert by_kind["format:placeholders"] == Placeholders(2)
    assert by_kind["format:highlights"] == Highlights(2)
    assert by_kind["format:json_output"] is not None  # proposed, refused unless satisfied
    assert not by_kind["format:json_output"].check(source)
    assert by_kind["format:sections"] is None
    assert next(Sections.candidates(SOURCES[1], CTX)) == Sections(2, "SECTION")
    assert next(DividedParagraphs.candidates(SOURCES[1], CTX)) == DividedParagraphs(2)
    assert next(ResponseLanguage.candidates(FRENCH, CTX)) == ResponseLanguage("fr")
    assert next(MinWords.candidates(ENGLISH, CTX)) == MinWords(15)


def test_leak_guard_applies_to_new_kinds() -> None:
    source = "Eggs. Eggs. Eggs. The count is twelve.\n\nNext the total."
    ctx = SourceContext(task="t", item_id="1", answers=("3",))
    for c in extract_constraints(source, ctx, k=3, kinds=["lexical:keyword_frequency",
                                                          "format:paragraph_first_word"]):
        assert "3" not in c.describe()


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (MinWords(50), MaxWords(40), True),
        (MinWords(40), MaxWords(40), True),  # fewer than 40 and at least 40
        (MinWords(30), MaxWords(40), False),
        (MinSentences(3), MaxSentences(3), False),
        (MinSentences(4), MaxSentences(3), True),
        (MinParagraphs(3), MaxParagraphs(2), True),
        (AllCapitals(), AllLowercase(), True),
        (AllCapitals(), StartsWith("First we"), True),  # demanded text has lower case
        (IncludeKeywords(("eggs",)), AvoidKeywords(("eggs",)), True),
        (IncludeKeywords(("eggs",)), AvoidKeywords(("milk",)), False),
        (IncludeKeywords(("eggs",)), IncludeWord("eggs"), True),
        (KeywordFrequency("eggs", 2), AvoidKeywords(("eggs",)), True),
        (KeywordFrequency("eggs", 2, "less than"), AvoidKeywords(("eggs",)), False),
        (JsonOutput(), Title(), True),
        (JsonOutput(), NoCommas(), False),
        (TwoResponses(), DividedParagraphs(2), True),
        (BulletCount(3), NoCommas(), False),
        (ResponseLanguage("fr"), IncludeWord("market"), True),
        (Postscript("P.S."), EndPhrase("Bye."), True),
    ],
)
def test_conflicts(a: Constraint, b: Constraint, expected: bool) -> None:
    assert conflicts(a, b) is expected
    assert conflicts(b, a) is expected


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"kind": "length:min_words", "params": {"minimum": 0}}, "constraints.params"),
        ({"kind": "length:min_paragraphs", "params": {"minimum": 1}}, "constraints.params"),
        ({"kind": "lexical:keyword_frequency",
          "params": {"keyword": "egg", "times": 2, "relation": "at most"}}, "constraints.params"),
        ({"kind": "lexical:letter_frequency", "params": {"letter": "ab", "times": 2}},
         "constraints.params"),
        ({"kind": "lexical:response_language", "params": {"language": "xx"}},
         "constraints.params"),
        ({"kind": "lexical:include_keywords", "params": {"keywords": []}}, "constraints.params"),
        ({"kind": "lexical:include_keywords", "params": {"keywords": ['say "hi"']}},
         "constraints.params"),
        ({"kind": "format:paragraph_first_word",
          "params": {"paragraphs": 2, "nth": 3, "word": "so"}}, "constraints.params"),
        ({"kind": "format:sections", "params": {"count": 2, "splitter": "SECTION X"}},
         "constraints.params"),
        ({"kind": "format:constrained_response", "params": {"options": ["only"]}},
         "constraints.params"),
        ({"kind": "format:postscript", "params": {"marker": ""}}, "constraints.params"),
        ({"kind": "format:repeat_prompt", "params": {}}, "constraints.params.prompt"),
    ],
)
def test_bad_records(record: object, field: str) -> None:
    with pytest.raises(SustainInputError) as err:
        constraint_from_record(record, path="c.jsonl", line=2)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("sample", "word"),
    [
        ("café_bar", "bar"), ("我用farmer市场", "farmer"), ("STRASSE", "straße"),
        ("the part is", "art"), ("We flew to İstanbul.", "istanbul"), ("farmer's market", "farmer"),
        ("\\nWaves crashed", "Waves"), ("un cafe\u0301 noir", "café"), ("startle", "start"),
    ],
)
def test_a_keyword_is_a_word_as_include_word_reads_it(sample: str, word: str) -> None:
    """One word kept as an IFEval keyword gets the verdict it gets as lexical:include_word
    (the two kinds are mapped to each other)."""
    from sustain_tasks.constraints.lexical import IncludeWord
    from sustain_tasks.constraints.wording import AvoidKeywords, IncludeKeywords

    expected = IncludeWord(word).check(sample)
    assert IncludeKeywords((word,)).check(sample) is expected
    assert AvoidKeywords((word,)).check(sample) is not expected
