"""Every script counts: words, sentences, letters and capitals outside the Latin alphabet,
JSON-quoted escapes that are not LaTeX, and starts_with prefixes that open with symbols.

A model that drifts into another language must not pass a length limit for free, a word must be
found in any script, and ``\\nWaves`` in JSON-quoted text is the word "Waves" after a newline,
not a LaTeX command ``\\nWaves``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import regex

from sustain_tasks.constraints import Constraint, SourceContext, shared_analysis, text
from sustain_tasks.constraints.content import AnswerLength, MentionEntity, ReasoningSteps
from sustain_tasks.constraints.format import FinalLinePrefix, NoBold
from sustain_tasks.constraints.length import MaxSentences, MaxWords, MaxWordsPerSentence
from sustain_tasks.constraints.lexical import (
    AllLowercase,
    AvoidWord,
    IncludeWord,
    NoFirstPerson,
    StartsWith,
)
from sustain_tasks.constraints.loose import strip_emphasis

CTX = SourceContext(task="t", item_id="1", seed=0)

RUSSIAN = "Привет, мир. Как дела? Всё хорошо, спасибо."
GREEK = "Καλημέρα κόσμε. Τι κάνεις;"
ARABIC = "مرحبا بالعالم. كيف حالك؟ أنا بخير."
HEBREW = "שלום עולם. מה שלומך?"
HINDI = "यह एक वाक्य है। यह दूसरा वाक्य है।"
VIETNAMESE = "Tôi có thể nói tiếng Việt."
CHINESE = "我是学生。你好吗？我很好！"
JAPANESE = "私はりんごを食べます。カーテンは青い。"
THAI = "สวัสดีครับ ผมชื่อสมชาย"
KOREAN = "안녕하세요. 저는 학생입니다."


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (RUSSIAN, ["Привет", "мир", "Как", "дела", "Всё", "хорошо", "спасибо"]),
        (GREEK, ["Καλημέρα", "κόσμε", "Τι", "κάνεις"]),
        (ARABIC, ["مرحبا", "بالعالم", "كيف", "حالك", "أنا", "بخير"]),
        (HEBREW, ["שלום", "עולם", "מה", "שלומך"]),
        # the vowel signs and virama are combining marks: they belong to their word
        (HINDI, ["यह", "एक", "वाक्य", "है", "यह", "दूसरा", "वाक्य", "है"]),
        # letters of U+1E00-1EFF ("ể", "ệ") do not split a word
        (VIETNAMESE, ["Tôi", "có", "thể", "nói", "tiếng", "Việt"]),
        (KOREAN, ["안녕하세요", "저는", "학생입니다"]),
        # one word per ideograph
        (CHINESE, ["我", "是", "学", "生", "你", "好", "吗", "我", "很", "好"]),
        # one word per ideograph and per run of kana (the prolonged sound mark is kana)
        (JAPANESE, ["私", "はりんごを", "食", "べます", "カーテンは", "青", "い"]),
        # runs of Thai count one word per three letters, marks riding on their letter
        (THAI, ["สวัส", "ดีครั", "บ", "ผมชื่", "อสม", "ชาย"]),
        ("x\u00b2 and \u00bd, 3.5 and 1,200 farmer's", ["x\u00b2", "and", "\u00bd", "3.5", "and",
                                                       "1,200", "farmer's"]),
        ("e\u0301te\u0301 (decomposed accents)", ["e\u0301te\u0301", "decomposed", "accents"]),
    ],
)
def test_words_of_every_script(sample: str, expected: list[str]) -> None:
    assert text.words(sample) == expected
    assert text.count_words(sample) == len(expected)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (RUSSIAN, 3),
        (GREEK, 2),  # the Greek question mark ";" is a semicolon: no sentence ends there
        (ARABIC, 3),
        (HEBREW, 2),
        (HINDI, 2),
        (VIETNAMESE, 1),
        (KOREAN, 2),
        (CHINESE, 3),
        (JAPANESE, 2),
        ("\u300c\u4f60\u597d\u3002\u300d\u4ed6\u8bf4\u3002", 2),  # 「你好。」他说。
        ("\u4ef7\u683c\u662f\uff13\uff0e\uff15\u5143\u3002", 1),  # a full-width decimal point
        ("Привет, мир.\nИ ещё одна строка.", 2),
        ("А. С. Пушкин написал это. Потом ещё.", 2),  # a capital initial in Cyrillic
        ("Площадь равна пяти. поэтому ответ пять.", 1),  # lower case continues the sentence
    ],
)
def test_sentences_of_every_script(sample: str, expected: int) -> None:
    assert text.count_sentences(sample) == expected


def test_greek_letters_beside_latin_ones_are_math_not_prose() -> None:
    assert text.count_sentences("The area is\n\u0394x = 5\n\u03c0r^2 = 50") == 1
    assert text.count_sentences("Το παιδί τρέχει. Η μητέρα περιμένει.") == 2  # Greek prose


def test_a_model_drifting_into_another_language_does_not_pass_limits_for_free() -> None:
    english = "The farmer sells eggs at the market every day of the week."
    drifted = {
        "Russian": "Фермер продаёт яйца на рынке каждый день недели.",
        "Chinese": "\u519c\u6c11\u6bcf\u5929\u5728\u5e02\u573a\u4e0a\u5356\u9e21\u86cb\u3002",
        "Hindi": "किसान हर दिन बाज़ार में अंडे बेचता है।",
        "Arabic": "يبيع المزارع البيض في السوق كل يوم.",
        "Thai": "ชาวนาขายไข่ที่ตลาดทุกวัน",
    }
    assert not MaxWords(5).check(english)
    for language, sample in drifted.items():
        assert text.count_words(sample) >= 5, language
        assert not MaxWords(5).check(sample * 2), language
        assert MaxWords(1000).check(sample), language
        assert not MaxSentences(2).check("\n".join([sample] * 3)), language
        assert MaxSentences(3).check("\n".join([sample] * 3)), language


GOLDEN: list[tuple[Constraint, str, bool]] = [
    (MaxWords(7), RUSSIAN, False),
    (MaxWords(8), RUSSIAN, True),
    (MaxWords(10), CHINESE, False),
    (MaxWords(11), CHINESE, True),
    (MaxWords(8), HINDI, False),
    (MaxWords(9), HINDI, True),
    (MaxWords(6), VIETNAMESE, False),
    (MaxWords(7), VIETNAMESE, True),
    (MaxSentences(2), RUSSIAN, False),
    (MaxSentences(3), RUSSIAN, True),
    (MaxSentences(2), CHINESE, False),
    (MaxSentences(3), CHINESE, True),
    (MaxSentences(1), ARABIC, False),
    (MaxSentences(1), HINDI, False),
    (MaxSentences(2), HINDI, True),
    (MaxWordsPerSentence(4), HINDI, False),  # "यह एक वाक्य है।" has four words
    (MaxWordsPerSentence(5), HINDI, True),
    (MaxWordsPerSentence(3), RUSSIAN, False),  # "Всё хорошо, спасибо." has three
    (MaxWordsPerSentence(4), RUSSIAN, True),
    (ReasoningSteps(1), RUSSIAN, False),
    (ReasoningSteps(2), RUSSIAN, True),
    (AnswerLength(2, "Ответ:"), "Решение.\nОтвет: город Москва", True),
    (AnswerLength(1, "Ответ:"), "Решение.\nОтвет: город Москва", False),
    (AnswerLength(2, "Answer:"), "Answer: \u5317\u4eac\u5e02", False),  # three ideographs
    (AllLowercase(), "всё в нижнем регистре", True),
    (AllLowercase(), "Всё с заглавной", False),
    (AllLowercase(), "καλημέρα", True),
    (AllLowercase(), "Καλημέρα", False),
    (AllLowercase(), "tôi nói tiếng việt", True),
    (AllLowercase(), "tôi nói tiếng Việt", False),
    (AllLowercase(), "\u0561\u0575\u0578 \u0531\u0575\u0578", False),  # Armenian capital
    (IncludeWord("мир"), RUSSIAN, True),
    (IncludeWord("МИР"), RUSSIAN, True),
    (IncludeWord("мир"), "мировой рекорд", False),  # a whole word only
    (IncludeWord("κόσμε"), GREEK, True),
    (IncludeWord("वाक्य"), HINDI, True),
    (IncludeWord("वा"), HINDI, False),  # not a piece of a word cut at a vowel sign
    (IncludeWord("thể"), VIETNAMESE, True),
    (IncludeWord("th"), VIETNAMESE, False),
    (IncludeWord("שלום"), HEBREW, True),
    (IncludeWord("学生"), CHINESE, True),  # scripts without spaces: the characters in order
    (IncludeWord("学校"), CHINESE, False),
    (IncludeWord("りんご"), JAPANESE, True),
    (IncludeWord("Python"), "\u6211\u7528Python\u5199\u4ee3\u7801", True),
    (AvoidWord("мир"), RUSSIAN, False),
    (AvoidWord("мир"), "мировой рекорд", True),
    (AvoidWord("वाक्य"), HINDI, False),
    (AvoidWord("学生"), CHINESE, False),
    (AvoidWord("therefore"), "Поэтому therefore", False),
    (NoFirstPerson(), "Привет. I think so.", False),
    (NoFirstPerson(), "Привет, мир. Всё хорошо.", True),
    (NoFirstPerson(), "Людовик I правил долго.", True),  # a regnal number after a name
    (StartsWith("Сначала найдём"), "Сначала, найдём площадь.", True),
    (StartsWith("Сначала найдём"), "**сначала найдём** площадь", True),
    (StartsWith("Сначала найдём"), "Потом найдём", False),
    (StartsWith("Tôi có thể"), VIETNAMESE, True),
    (StartsWith("Tôi có th"), VIETNAMESE, False),
    (StartsWith("我是"), CHINESE, True),
    (StartsWith("我是"), "你是学生", False),
    (StartsWith("यह एक"), HINDI, True),
    (MentionEntity("Москва"), "Столица России - Москва.", True),
    (MentionEntity("Москва"), "Столица России - Санкт-Петербург.", False),
    (MentionEntity("हिन्दी"), "यह हिन्दी में है", True),
    (NoBold(), "это **жирный** текст", False),
    (NoBold(), "x**2 и y**2", True),
    (NoBold(), "слово**2 + слово**3", True),  # not a bold span: markers inside words
    (FinalLinePrefix("Ответ:"), "Решение.\n**Ответ:** 5", True),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), GOLDEN)
def test_golden_in_every_script(constraint: Constraint, output: str, expected: bool) -> None:
    assert constraint.check(output) is expected


def test_non_latin_words_are_accepted_as_words() -> None:
    assert IncludeWord("мир").word == "мир"
    assert AvoidWord("हिन्दी").word == "हिन्दी"
    for bad in ("два слова", "мир1", "", "$x$"):
        with pytest.raises(ValueError):
            IncludeWord(bad)


def test_include_word_proposes_words_of_any_script_but_not_pieces_of_unspaced_text() -> None:
    found = {c.word for c in IncludeWord.candidates("Фермер продаёт яйца на рынке.", CTX)}
    assert found == {"Фермер", "продаёт", "яйца", "рынке"}  # as first written
    chinese = "\u519c\u6c11\u6bcf\u5929\u5728\u5e02\u573a\u4e0a\u5356\u9e21\u86cb\u3002"
    assert list(IncludeWord.candidates(chinese, CTX)) == []
    assert list(IncludeWord.candidates("ชาวนาขายไข่ที่ตลาดทุกวัน", CTX)) == []


def test_final_line_prefix_candidates_in_other_scripts() -> None:
    assert [c.prefix for c in FinalLinePrefix.candidates("Решение.\nОтвет: 5", CTX)] == ["Ответ:"]
    assert [c.prefix for c in FinalLinePrefix.candidates(
        "\u89e3\u3002\n\u7b54\u6848\uff1a5", CTX)] == ["\u7b54\u6848\uff1a"]


def test_emphasis_is_removed_in_any_script() -> None:
    assert strip_emphasis("это **жирный** текст") == "это жирный текст"
    assert strip_emphasis("слово**2 + слово**3") == "слово**2 + слово**3"


# ---------------------------------------------------------------------------------------------
# Escapes of JSON-quoted text are not LaTeX commands

JSON_QUOTED = "Title: Ocean\\nWaves crash on the shore.\\n\\nI love the sea.\\tWe swim."
"""A response as it reads when its JSON string was not decoded: ``\\n`` and ``\\t`` escapes."""

ESCAPES: list[tuple[Constraint, str, bool]] = [
    (IncludeWord("Waves"), JSON_QUOTED, True),
    (IncludeWord("love"), JSON_QUOTED, True),
    (AvoidWord("waves"), JSON_QUOTED, False),
    (AvoidWord("swim"), JSON_QUOTED, False),
    (AvoidWord("aves"), JSON_QUOTED, True),
    (AllLowercase(), "title: ocean\\nWaves crash", False),
    (AllLowercase(), "title: ocean\\nwaves crash\\tand roll", True),
    (AllLowercase(), "done.\\rNext line", False),
    (NoFirstPerson(), JSON_QUOTED, False),
    (NoFirstPerson(), "The sea.\\nI swim.", False),
    (NoFirstPerson(), "The sea.\\tWe swim.", False),
    (NoFirstPerson(), "The sea.\\nThey swim.", True),
    (StartsWith("Waves crash"), "\\nWaves crash", False),  # the escape is text, not markup
    # real LaTeX whose name starts like an escape is still a command
    (AvoidWord("times"), "$3 \\times 4 = 12$", True),
    (AvoidWord("right"), "$\\left(x\\right)$", True),
    (AvoidWord("text"), "$\\text{apples}$", True),
    (IncludeWord("apples"), "$5\\text{apples}$", True),
    (AvoidWord("abla"), "$\\nabla f$", True),
    (AvoidWord("eq"), "$x \\neq 2$", True),
    (AvoidWord("frac"), "$\\frac{1}{2}$", True),
    (AvoidWord("sqrt"), "$\\sqrt{21}$", True),
    (AvoidWord("boxed"), "\\boxed{5}", True),
    (AvoidWord("heta"), "$\\theta = 30^\\circ$", True),
    (AllLowercase(), "so $\\nabla F = 0$ and \\textbf{done}", True),
    (AllLowercase(), "so \\textbf{Done}", False),
    (NoFirstPerson(), "$\\nu I$ and \\text{so}", True),
]


@pytest.mark.parametrize(("constraint", "output", "expected"), ESCAPES)
def test_escapes_are_not_latex_commands(constraint: Constraint, output: str,
                                        expected: bool) -> None:
    assert constraint.check(output) is expected


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("\\frac{1}{2} \\times \\sqrt{3}", ["1", "2", "3"]),
        ("\\boxed{\\frac{\\sqrt{21}}{5}}", ["21", "5"]),
        ("$\\text{apples} \\nabla \\neq \\right) \\rho \\tau \\tan x$", ["apples", "x"]),
        ("Ocean\\nWaves\\tcrash\\rhere", ["Ocean", "Waves", "crash", "here"]),
        ("\\n\\nThe end", ["The", "end"]),
        ("\\newline next \\noindent para", ["next", "para"]),
    ],
)
def test_words_without_latex_commands_but_with_escaped_prose(sample: str,
                                                            expected: list[str]) -> None:
    assert text.words(sample) == expected


# ---------------------------------------------------------------------------------------------
# starts_with: prefixes that open with symbols

SYMBOL_PREFIXES: list[tuple[str, str, bool]] = [
    ("<<Resignation Notice>>", "<<Resignation Notice>>\n\nDear Ms. Smith,", True),
    ("<<Resignation Notice>>", "**<<Resignation Notice>>**\nDear Ms. Smith,", True),
    ("<<Resignation Notice>>", "<<resignation notice>> dear", True),
    ("<<Resignation Notice>>", "Resignation Notice\nDear Ms. Smith,", False),
    ("<<Resignation Notice>>", "<Resignation Notice>", False),
    ("<<Resignation Notice>>", "<<Notice of Resignation>>", False),
    ("(Verse 1)", "(Verse 1)\nThe rain falls down", True),
    ("(Verse 1)", "  (verse 1) the rain", True),
    ("(Verse 1)", "Verse 1: the rain", False),
    ("(Verse 1)", "[Verse 1]", False),
    ("[Your Name]", "[Your Name]\n[Your Address]", True),
    ("[Your Name]", "Your Name", False),
    ("\u00abBonjour\u00bb", "\u00ab Bonjour \u00bb, dit-il", True),
    # markup before a plain word is still skipped
    ("Janet sells", "## **Janet sells** eggs", True),
    ("- Janet sells", "Janet sells eggs", True),
    ("**Janet** sells", "Janet sells eggs", True),
]


@pytest.mark.parametrize(("prefix", "output", "expected"), SYMBOL_PREFIXES)
def test_starts_with_a_prefix_that_opens_with_symbols(prefix: str, output: str,
                                                      expected: bool) -> None:
    assert StartsWith(prefix).check(output) is expected


def test_every_starts_with_prefix_matches_an_output_that_is_exactly_it() -> None:
    for prefix in ("<<Resignation Notice>>", "(Verse 1)", "[Your Name]", "$5 is the price",
                   "#1 fan", "{Intro}", "\u2014 Well, then", "\u00bfQu\u00e9 tal?",
                   "\u300c\u4f60\u597d\u300d", "Сначала найдём", "Janet sells 16"):
        constraint = StartsWith(prefix)
        assert constraint.check(prefix), prefix
        assert constraint.check(prefix + "\nMore text follows."), prefix


# ---------------------------------------------------------------------------------------------
# Word checks compile no pattern per word


def test_word_checks_compile_no_pattern_per_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """``has_word`` used to compile one pattern per word looked for; now a word is a lookup in
    the text's set of runs. Counted for both regular-expression engines."""
    compiled = 0
    re_compiler: Any = re._compiler  # type: ignore[attr-defined]  # Python >= 3.11
    regex_main: Any = regex._main
    original_re, original_regex = re_compiler.compile, regex_main._compile

    def counting_re(*args: Any, **kwargs: Any) -> Any:
        nonlocal compiled
        compiled += 1
        return original_re(*args, **kwargs)

    def counting_regex(*args: Any, **kwargs: Any) -> Any:
        nonlocal compiled
        compiled += 1
        return original_regex(*args, **kwargs)

    output = RUSSIAN + " " + JSON_QUOTED + " " + CHINESE + " the farmer's x-ray market"
    words = ["мир", "Waves", "学生", "farmer", "x-ray", "market", "absent", "sort_matrix"]
    for word in words:  # warm up: the module-level patterns exist already
        text.has_word(output, word)
    IncludeWord("market").check(output)
    AvoidWord("market").check(output)
    monkeypatch.setattr(re_compiler, "compile", counting_re)
    monkeypatch.setattr(regex_main, "_compile", counting_regex)
    re.purge()
    regex.purge()
    for i in range(200):
        for word in words:
            text.has_word(output + str(i), word)
        IncludeWord(words[i % 4]).check(output + str(i))
        AvoidWord(words[i % 4]).check(output + str(i))
    assert compiled == 0


def test_has_word_answers_alike_inside_and_outside_shared_analysis() -> None:
    """Inside a shared analysis a word is a lookup in the text's set of runs; outside, its
    occurrences are found and their neighbours checked: the two must agree."""
    texts = [RUSSIAN, GREEK, HINDI, VIETNAMESE, CHINESE, JAPANESE, THAI, JSON_QUOTED,
             "the farmer's x-ray market, sort_matrix(3.5) 1,200 \u212aelvin Stra\u00dfe",
             "\u6211\u7528Python\u5199\u4ee3\u7801", "caf\u00e9 cafe\u0301 na\u00efve", ""]
    words = ["мир", "МИР", "ми", "κόσμε", "वाक्य", "वा", "thể", "th", "学生", "りんご", "ชาย",
             "Waves", "aves", "farmer", "farmer's", "x-ray", "ray", "sort_matrix", "3.5", "200",
             "kelvin", "strasse", "python", "café", "cafe", "naïve", "market", "", "an swer"]
    for sample in texts:
        outside = [text.has_word(sample, word) for word in words]
        with shared_analysis():
            inside = [text.has_word(sample, word) for word in words]
        assert inside == outside, sample


@pytest.mark.parametrize(
    ("sample", "word", "expected"),
    [
        ("a" * 5000, "a", False),
        ("a" * 5000 + " a", "a", True),
        ("a-a" * 2000, "a-a", False),
        ("xa-a" * 2000 + " a-a.", "a-a", True),
        ("Мир" * 3000 + " мир", "МИР", True),
    ],
)
def test_a_word_occurring_often_inside_longer_words(sample: str, word: str,
                                                    expected: bool) -> None:
    """Past a few occurrences inside longer words, the text is read once instead."""
    assert text.has_word(sample, word) is expected
    with shared_analysis():
        assert text.has_word(sample, word) is expected


def test_avoid_word_candidates_read_words_as_the_check_does() -> None:
    """A word glued to ideographs is a word there ("\u6211total"), so it is not proposed."""
    source = "\u6211\u7684total\u662f18\u3002\u6240\u4ee5 hence"
    proposed = {c.word for c in AvoidWord.candidates(source, CTX)}
    assert "total" not in proposed
    assert "hence" not in proposed
    assert "therefore" in proposed
    assert all(AvoidWord(word).check(source) for word in proposed)


@pytest.mark.parametrize(
    ("sample", "word", "expected"),
    [
        ("We flew to İstanbul in May.", "istanbul", True),   # Turkish dotted capital I
        ("We flew to istanbul in May.", "İstanbul", True),
        ("un cafe\u0301 noir", "café", True),               # decomposed vs composed
        ("un café noir", "cafe\u0301", True),
        ("un cafe noir", "café", False),                     # accents still count
        ("STRASSE", "straße", True),                         # full case folding
    ],
)
def test_words_match_across_unicode_forms_and_case(sample: str, word: str,
                                                   expected: bool) -> None:
    assert text.has_word(sample, word) is expected
    with shared_analysis():
        assert text.has_word(sample, word) is expected
    assert IncludeWord(word).check(sample) is expected
    assert text.whole_word_test([sample])(word) is expected
