"""Write the two recordings replayed by the README's "Reading the report" example.

Two fictional models answer the first 30 GSM8K test items in two styles. Their answers are
built from the reference solutions with the slips models typically make: a wrong final
number, a lost ``#### N`` line, a rambling preamble, an answer cut off, and under the
constraint (or when asked the same question again) some of them change. The patterns below
fix which item gets which: the recordings are data, written once and committed; this script
documents how they were made and rewrites them identically.

    SUSTAIN_DATA_DIR=../shared/data python examples/gsm8k-replay/make_recordings.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
N_ITEMS = 30

# per item index: what the model does (plain), under the constraint, and when asked again
# plain: "ok" (right) or "slip" (wrong final number)
# constrained: "same" (the plain answer again), "slip" (wrong number, same shape),
#   "lost" (the final "#### N" line dropped for a sentence), "cut" (stops half way),
#   "preamble" (an added opening sentence), "ramble" (a long bold-faced double check added
#   before the answer), "ramble-slip" (the same, ending on a wrong number)
# retest: "same" or "slip"
PLANS: dict[str, dict[str, dict[int, str]]] = {
    "model-a": {
        "plain": {3: "slip", 11: "slip", 17: "slip", 26: "slip"},
        "constrained": {1: "ramble", 5: "slip", 9: "lost", 14: "preamble", 18: "ramble",
                        21: "slip", 23: "ramble-slip", 28: "cut"},
        "retest": {9: "slip"},
    },
    "model-b": {
        "plain": {2: "slip", 3: "slip", 8: "slip", 13: "slip", 19: "slip", 24: "slip",
                  27: "slip"},
        "constrained": {0: "slip", 1: "ramble-slip", 4: "lost", 6: "slip", 7: "ramble",
                        10: "preamble", 12: "slip", 15: "cut", 16: "slip", 20: "lost",
                        21: "ramble", 22: "slip", 25: "ramble-slip", 29: "slip"},
        "retest": {6: "slip", 16: "slip"},
    },
}


def _steps(answer: str) -> tuple[list[str], str]:
    """The reference's reasoning lines without calculator annotations, and its answer."""
    body, final = answer.rsplit("####", 1)
    lines = [re.sub(r"<<[^>]*>>", "", line).strip() for line in body.strip().splitlines()]
    return [line for line in lines if line], final.strip()


def _wrong(final: str) -> str:
    value = int(final.replace(",", ""))
    return str(value + 10 if value % 2 else value * 2 + 1)


def _write(model: str, steps: list[str], final: str) -> str:
    if model == "model-a":
        return "\n".join([*steps, f"#### {final}"])
    numbered = [f"Step {i}: {line}" for i, line in enumerate(steps, 1)]
    return "\n".join(["Let's solve this step by step.", *numbered, f"#### {final}"])


def _variant(model: str, steps: list[str], final: str, how: str) -> str:
    if how == "slip":
        return _write(model, steps, _wrong(final))
    if how == "lost":
        return "\n".join([*steps, f"So the answer is {final}."])
    if how == "cut":
        return "\n".join(steps[: max(1, len(steps) // 2)])
    if how in ("ramble", "ramble-slip"):
        check = ["", "**Double-checking every step, one by one, before I answer:**",
                 *[f"- Checked, again, carefully: {line}" for line in steps], ""]
        shown = _wrong(final) if how == "ramble-slip" else final
        return _write(model, [*steps, *check], shown)
    if how == "preamble":
        return "Here is my reasoning, written out in full before the answer.\n" + \
            _write(model, steps, final)
    return _write(model, steps, final)


def main() -> None:
    data = Path(os.environ.get("SUSTAIN_DATA_DIR", HERE.parents[1].parent / "shared" / "data"))
    with (data / "gsm8k" / "test.jsonl").open(encoding="utf-8") as f:
        items = [json.loads(line) for _, line in zip(range(N_ITEMS), f, strict=False)]
    for model, plan in PLANS.items():
        lines = []
        for i, item in enumerate(items):
            steps, final = _steps(item["answer"])
            plain = _variant(model, steps, final, plan["plain"].get(i, "ok"))
            lines.append({"id": str(i), "variant": "plain", "output": plain})
            if i in plan["plain"]:
                continue  # wrong under the plain prompt: never asked again
            lines.append({"id": str(i), "variant": "constrained",
                          "output": _variant(model, steps, final,
                                             plan["constrained"].get(i, "same"))})
            lines.append({"id": str(i), "variant": "retest",
                          "output": _variant(model, steps, final,
                                             plan["retest"].get(i, "same"))})
        out = HERE / f"{model}.jsonl"
        out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                       encoding="utf-8")


if __name__ == "__main__":
    main()
