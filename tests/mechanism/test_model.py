"""Teacher-forcing on tiny random models: what the forward pass returns and where."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sustain_tasks.constraints import all_kinds
from sustain_tasks.mechanism.model import POSITIONS, position_indices
from sustain_tasks.mechanism.runs import MechanismItem, Rendering
from sustain_tasks.mechanism.spans import constraint_spans
from sustain_tasks.protocol import constrained_prompt

from .conftest import need

need("torch", "transformers")


def _item() -> MechanismItem:
    c = all_kinds()["length:max_words"].example()
    prompt = constrained_prompt("Problem: Tom has 3 apples and buys 4 more. How many?", [c])
    return MechanismItem(
        key="k", run="r", model="m", task="gsm8k", sample_id="0", variant="constrained",
        prompt=prompt, output="He has 3 + 4 = 7 apples.\n#### 7", constraints=(c,),
        spans=tuple(constraint_spans(prompt, [c])), correct=True,
        rendering=Rendering("inspect"))


def test_position_indices() -> None:
    assert position_indices(10, 15) == [9, 10, 11, 12, 13, 14]
    assert position_indices(10, 11) == [9, 10, 10, 10, 10, 10]
    assert len(POSITIONS) == 6
    with pytest.raises(ValueError, match="no output"):
        position_indices(10, 10)


@pytest.mark.parametrize("family", ["gpt2", "llama", "qwen2"])
def test_forward_returns_the_deciding_steps(model_dirs: dict[str, Path], family: str) -> None:
    from sustain_tasks.mechanism.model import LoadedModel

    loaded = LoadedModel(str(model_dirs[family]), device="cpu", attention=True)
    enc = loaded.encode(_item())
    n = len(enc.input_ids)
    forward = loaded.forward(enc, attentions=True, hidden=True)
    layers = loaded.model.config.num_hidden_layers
    assert forward.attentions is not None
    assert len(forward.attentions) == layers
    for attn in forward.attentions:
        _heads, queries, keys = attn.shape
        assert (queries, keys) == (enc.n_output, n)
        assert np.allclose(attn.sum(axis=2), 1.0, atol=1e-4)
        for q in range(queries):  # query q is position n_prompt - 1 + q: nothing after it
            assert np.all(attn[:, q, enc.n_prompt + q:] == 0.0)
    assert forward.hidden is not None
    assert forward.hidden.shape == (len(POSITIONS), layers + 1,
                                    loaded.model.config.hidden_size)
    again = loaded.forward(enc, attentions=True, hidden=True)
    assert np.array_equal(again.hidden, forward.hidden)  # deterministic on CPU
