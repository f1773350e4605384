"""SustainScore for any Inspect task: ``inspect eval sustain_tasks/wrap.py -T task=<spec>``.

``<spec>`` is what ``inspect eval`` itself accepts: ``file.py``, ``file.py@name``, or
``package/name`` of an installed package that registers Inspect tasks (such as
``inspect_evals/gsm8k``). The wrapped task (``sustain_<name>``) keeps the original's dataset,
solver chain and scorer: the chain runs once on the plain sample and once more, in a fresh
state, with a self-evident constraint appended to the last user message; the original scorer
judges both. Its scores and metrics are those of the built-in SustainScore tasks, so ``sustain
score`` and ``inspect view`` read it like them. See :func:`sustain_tasks.sustain` for the
Python API and the details.

# self mode (the default): constraints from the model's own correct answers
inspect eval sustain_tasks/wrap.py -T task=my_tasks.py@qa --model openai/gpt-4o-mini

# a task of an installed package, two length/format constraints per item
inspect eval sustain_tasks/wrap.py -T task=inspect_evals/gsm8k -T k=2 \\
    -T kinds=length,format --model openai/gpt-4o-mini

# the controls and the other modes
inspect eval sustain_tasks/wrap.py -T task=my_tasks.py@qa -T mode=retest --model ...
inspect eval sustain_tasks/wrap.py -T task=my_tasks.py@qa -T mode=placebo --model ...
inspect eval sustain_tasks/wrap.py -T task=my_tasks.py@qa -T mode=reference --model ...

# a graded scorer (numbers from 0 to 1): correct from 0.8 up; arguments of the wrapped task
inspect eval sustain_tasks/wrap.py -T task=my_tasks.py@summaries -T threshold=0.8 \\
    -T task_args='{length: short}' --model ...

# offline, replaying recorded outputs ({"id", "variant", "output"} lines)
inspect eval sustain_tasks/wrap.py -T task=my_tasks.py@qa --model sustain/replay \\
    -M outputs=outputs.jsonl
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

__all__ = ["wrap"]


@task
def wrap(
    task: str,
    mode: str = "self",
    k: int = 1,
    kinds: str | list[str] | None = None,
    seed: int = 0,
    correct: str | None = None,
    threshold: float = 1.0,
    scorer: str | int | None = None,
    task_args: dict[str, Any] | None = None,
) -> Task:
    """Any Inspect task under the SustainScore protocol (task name ``sustain_<name>``).

    Args:
        task: The task to wrap: ``file.py``, ``file.py@name`` (a relative path is taken from
            the folder ``inspect`` was started in) or ``package/name``.
        mode: ``self`` (constraints from the model's own correct answer), ``reference``
            (from each sample's target, when it is a text), ``plain``, ``placebo`` or
            ``retest``.
        k: Constraints per item, 1 to 3.
        kinds: Length, format and lexical constraint ids and/or categories; by default all
            three categories (content and code kinds need knowledge of the task).
        seed: Seed of every choice made while extracting constraints.
        correct: For a scorer whose value is a dict: the key that holds the verdict.
        threshold: The lowest number that counts as correct (for graded scorers).
        scorer: Which of the task's scorers decides correctness (name or index; the first
            by default).
        task_args: Arguments of the wrapped task, e.g. ``-T task_args='{n: 3}'``.
    """
    from sustain_tasks._inspect.wrap import sustain

    if task_args is not None and not isinstance(task_args, dict):
        from sustain_tasks._inspect.errors import SetupInputError

        raise SetupInputError(f"field 'task_args': must be a mapping such as '{{n: 3}}', got "
                              f"{task_args!r}")
    return sustain(task, mode=mode, k=k, kinds=kinds, seed=seed, correct=correct,
                   threshold=threshold, scorer=scorer, task_args=task_args)
