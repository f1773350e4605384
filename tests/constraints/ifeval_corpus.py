"""Texts and parameters on which this library's checkers are compared with IFEval's
(``test_ifeval_agreement.py``): prose in several languages and scripts, lists, JSON, verse,
LaTeX math, code, and the forms IFEval's instructions ask for."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, str] = {
    "en_prose": (
        "The village market opens early in the morning. Farmers sell fresh eggs, cheese and "
        "seasonal vegetables to everyone who lives nearby.\n\n"
        "However, prices rise in winter. Dr. Smith, who runs the dairy stall, says the art of "
        "selling is patience.\n\n"
        "Most visitors come back every week."),
    "en_lower": ("the village market opens early in the morning and farmers sell fresh eggs "
                 "and cheese to everyone who lives nearby because the art of trade is patience"),
    "en_caps": ("THE VILLAGE MARKET OPENS EARLY IN THE MORNING. FARMERS SELL FRESH EGGS AND "
                "CHEESE TO EVERYONE WHO LIVES NEARBY."),
    "fr_prose": (
        "Le marché du village ouvre tôt le matin. Les fermiers vendent des œufs frais, du "
        "fromage et des légumes de saison à tous les habitants du quartier.\n\n"
        "Cependant, les prix augmentent en hiver."),
    "de_prose": ("Der Markt im Dorf öffnet früh am Morgen. Die Bauern verkaufen frische Eier, "
                 "Käse und Gemüse der Saison an alle Bewohner des Viertels."),
    "ru_prose": ("Рынок в деревне открывается рано утром. Фермеры продают свежие яйца, сыр и "
                 "сезонные овощи всем жителям района.\n\nОднако зимой цены растут."),
    "zh_prose": "村里的市场早上很早就开门。农民们向附近的居民出售新鲜的鸡蛋、奶酪和时令蔬菜。",
    "hi_prose": ("गाँव का बाज़ार सुबह जल्दी खुलता है। किसान आस-पास रहने वाले सभी लोगों को ताज़े अंडे "
                 "और पनीर बेचते हैं।"),
    "bullets": ("Shopping list:\n* eggs from the farm\n* cheese, aged\n* bread\n\n"
                "- milk\n- honey"),
    "json_plain": '{"market": "village", "items": ["eggs", "cheese"], "open": true}',
    "json_fenced": '```json\n{\n  "market": "village",\n  "stalls": 12\n}\n```',
    "json_prose": 'Here is the data: {"market": "village"}',
    "verse": (
        "<<Morning at the Market>>\n\n"
        "The baskets fill with eggs so white,\n"
        "The cheeses glow in morning light,\n"
        "And every stall, from end to end,\n"
        "Has room to spare for every friend."),
    "latex_math": (
        "We have $x^2 = 16$, so $x = 4$ or $x = -4$. Therefore\n"
        "\\[\n\\frac{x}{2} = 2.\n\\]\n"
        "The answer is $\\boxed{4}$."),
    "code": (
        "Here is the function.\n\n```python\ndef total(prices):\n"
        "    # add up the prices\n    return sum(prices)\n```\n\n"
        "It simply adds the numbers."),
    "sections": ("SECTION 1\nThe market opens early.\n\nSECTION 2\nFarmers sell eggs.\n\n"
                 "SECTION 3\nPrices rise in winter."),
    "divided": "The market opens early.\n***\nFarmers sell eggs.\n***\nPrices rise in winter.",
    "two_responses": "The market opens early.\n******\nFarmers arrive before dawn.",
    "quoted": '"The market opens early, and farmers sell eggs."',
    "postscript": "The market opens early.\n\nP.S. Bring your own bag.",
    "pps": "The market opens early.\n\nP.S. Bring a bag.\nP.P.S. Come early.",
    "placeholders": "Dear [name],\n\nYour order will arrive at [address] on [date].",
    "highlights": "The market has *fresh* eggs and **aged** cheese, and *local* honey.",
    "end_phrase": "The market opens early. Farmers sell eggs. Any other questions?",
    "options": "I have thought about it. My answer is yes.",
    "repeat": "Write a short note about the market. The market opens early.",
    "keywords": "Eggs, eggs and more eggs: the egg stall sells eggs all day.",
    "caps_words": "The MARKET opens EARLY and the FARMERS sell EGGS to the VILLAGE.",
    "paragraph_words": ("Markets matter.\n\nHowever, they change.\n\n"
                        "Finally, they endure."),
    # forms where the two definitions part on purpose
    "math_stars": "We compute 2 * 3 * 4 = 24, and likewise a * b * c.",
    "links_math": "See [the docs](https://example.org), then \\[x = 5\\] and \\[y\\].",
    "rules_and_signs": "* first point\n---\n-5 is negative\n*emphasis* opens this line",
    "code_shift": "Use `x << 2 >> 1` to shift the bits.",
    "section_mention": "SECTION 1\nAs SECTION 2 explains, eggs matter.",
    "ps_inline": "I will come to the market, p.s. bring eggs.",
    "end_bold": "The market opens early. **Any other questions?**",
    "both_options": "My answer is yes. My answer is no.",
    "curly_quoted": "\u201cThe market opens early.\u201d",
    "repeat_spaced": "Write a short  note about\nthe market. It opens early.",
    "md_paragraphs": "**The** market opens.\n\nIt sells eggs.",
    "caps_french": "LE MARCH\u00c9 OUVRE T\u00d4T LE MATIN ET LES FERMIERS VENDENT DES \u0152UFS.",
    "caps_math": "THE ANSWER IS $x^2$, AS SHOWN ABOVE.",
    "lower_math": "we get $X = 5$ and so the answer is five, as shown above.",
    "bold_italic": "A ***bold*** word in a single paragraph.",
    "caps_i": "I think I can, and A is the grade I want.",
    "fr_with_code": ("Voici la fonction qui additionne les prix du march\u00e9.\n\n```python\n"
                     "def total(prices):\n    # add up all of the prices in the list\n"
                     "    return sum(price for price in prices if price is not None)\n```"),
}
"""Named texts; the names are used in the table of pinned differences."""

PARAMS: dict[str, list[dict[str, Any]]] = {
    "keywords:existence": [{"keywords": ["market"]}, {"keywords": ["eggs", "cheese"]},
                           {"keywords": ["art"]}],
    "keywords:frequency": [{"keyword": "eggs", "frequency": 2, "relation": "at least"},
                           {"keyword": "egg", "frequency": 2, "relation": "at least"},
                           {"keyword": "market", "frequency": 2, "relation": "less than"}],
    "keywords:forbidden_words": [{"forbidden_words": ["cheese", "honey"]},
                                 {"forbidden_words": ["art"]}],
    "keywords:letter_frequency": [{"letter": "e", "let_frequency": 10,
                                   "let_relation": "at least"},
                                  {"letter": "z", "let_frequency": 1,
                                   "let_relation": "less than"}],
    "language:response_language": [{"language": "en"}, {"language": "fr"},
                                   {"language": "ru"}, {"language": "hi"}],
    "length_constraints:number_sentences": [{"num_sentences": 3, "relation": "less than"},
                                            {"num_sentences": 3, "relation": "at least"}],
    "length_constraints:number_paragraphs": [{"num_paragraphs": 3}, {"num_paragraphs": 1}],
    "length_constraints:number_words": [{"num_words": 20, "relation": "less than"},
                                        {"num_words": 20, "relation": "at least"}],
    "length_constraints:nth_paragraph_first_word": [
        {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "however"},
        {"num_paragraphs": 2, "nth_paragraph": 1, "first_word": "the"}],
    "detectable_content:number_placeholders": [{"num_placeholders": 1},
                                               {"num_placeholders": 3}],
    "detectable_content:postscript": [{"postscript_marker": "P.S."},
                                      {"postscript_marker": "P.P.S"}],
    "detectable_format:number_bullet_lists": [{"num_bullets": 5}, {"num_bullets": 3},
                                              {"num_bullets": 1}],
    "detectable_format:constrained_response": [{}],
    "detectable_format:number_highlighted_sections": [{"num_highlights": 1},
                                                      {"num_highlights": 3}],
    "detectable_format:multiple_sections": [{"section_spliter": "SECTION", "num_sections": 3},
                                            {"section_spliter": "SECTION", "num_sections": 2},
                                            {"section_spliter": "Section", "num_sections": 1}],
    "detectable_format:json_format": [{}],
    "detectable_format:title": [{}],
    "combination:two_responses": [{}],
    "combination:repeat_prompt": [{"prompt_to_repeat": "Write a short note about the market."}],
    "startend:end_checker": [{"end_phrase": "Any other questions?"}],
    "change_case:capital_word_frequency": [{"capital_frequency": 3,
                                            "capital_relation": "at least"},
                                           {"capital_frequency": 2,
                                            "capital_relation": "less than"}],
    "change_case:english_capital": [{}],
    "change_case:english_lowercase": [{}],
    "punctuation:no_comma": [{}],
    "startend:quotation": [{}],
}
"""Parameters for every IFEval id; each is checked on every text."""
