"""Tiny random models and locally trained tokenizers for the mechanism tests (never downloaded).

Four tokenizer families, each trained here on a small corpus (the constraint catalogue's
sentences, the placebo sentences, some GSM8K-like text). Three are byte-level BPE:

- ``gpt2``: GPT-2's pre-tokenizer, no chat template (Inspect then sends ``user: ...``);
- ``llama``: Llama 3's split pattern, a BOS token added by the post-processor and a Llama 3
  style chat template;
- ``qwen2``: Qwen2's split pattern, no BOS, a ChatML chat template.

and one is SentencePiece style, as Llama 2, Mistral and T5 tokenize:

- ``llama2``: a Unigram model over a Metaspace pre-tokenizer (each space becomes ``▁`` and
  starts a piece; newlines and punctuation are ordinary characters that pieces may hold),
  ``<unk>`` for unseen characters, ``<s>`` added by the post-processor and a Llama 2
  ``[INST]`` chat template.

and a model of the matching architecture (2 to 4 layers, hidden size 32 to 64) with random
weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sustain_tasks.constraints import all_kinds
from sustain_tasks.protocol import CONSTRAINT_HEADER, PLACEBO_SENTENCES

FAMILIES = ("gpt2", "llama", "qwen2", "llama2")

_LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
_QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

LLAMA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}"
    "<|end_header_id|>\n\n{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n"
    "{% endif %}")
LLAMA2_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}{{ bos_token }}[INST] "
    "{{ m['content'] | trim }} [/INST]{% else %} {{ m['content'] | trim }} {{ eos_token }}"
    "{% endif %}{% endfor %}")
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def corpus() -> Iterator[str]:
    """Text to train the tokenizers on."""
    for cls in all_kinds().values():
        yield cls.example().describe()
    yield from PLACEBO_SENTENCES
    yield CONSTRAINT_HEADER
    for n in range(40):
        yield (f"Problem: Tom has {n + 3} apples and buys {2 * n + 1} more. How many apples "
               f"does he have now?\nHe has {n + 3} + {2 * n + 1} = {3 * n + 4} apples.\n"
               f"#### {3 * n + 4}")


def tokenizer(family: str) -> Any:
    """A fast tokenizer of ``family`` trained on :func:`corpus`."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if family == "llama2":
        return _sentencepiece_tokenizer()
    specials = {"gpt2": ["<|endoftext|>"],
                "llama": ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                          "<|end_header_id|>", "<|eot_id|>"],
                "qwen2": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}[family]
    tok = Tokenizer(models.BPE())
    if family == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        pattern = _LLAMA3_SPLIT if family == "llama" else _QWEN2_SPLIT
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(list(corpus()), trainer=trainer)
    if family == "llama":
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                          special_tokens=[("<|begin_of_text|>", bos)])])
        return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>",
                                       eos_token="<|eot_id|>", chat_template=LLAMA_TEMPLATE)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    if family == "qwen2":
        return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>",
                                       pad_token="<|endoftext|>", chat_template=CHATML_TEMPLATE)
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>",
                                   eos_token="<|endoftext|>")


def _sentencepiece_tokenizer() -> Any:
    """A Llama 2 style tokenizer: Unigram pieces over a Metaspace pre-tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    trainer = trainers.UnigramTrainer(vocab_size=600, special_tokens=["<unk>", "<s>", "</s>"],
                                      unk_token="<unk>", show_progress=False)
    tok.train_from_iterator([*corpus(), "[INST] [/INST]"], trainer=trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A",
                                                       special_tokens=[("<s>", bos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", chat_template=LLAMA2_TEMPLATE)


def model(family: str, tok: Any, *, seed: int = 0) -> Any:
    """A random model of ``family`` (2 to 4 layers, hidden size 32 to 64) for tokenizer
    ``tok``."""
    import torch
    from transformers import (
        AutoModelForCausalLM,
        GPT2Config,
        LlamaConfig,
        Qwen2Config,
    )

    torch.manual_seed(seed)
    vocab_size = len(tok)
    config: Any
    if family == "gpt2":
        config = GPT2Config(vocab_size=vocab_size, n_positions=2048, n_embd=32, n_layer=2,
                            n_head=2)
    elif family in ("llama", "llama2"):
        config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64,
                             num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                             max_position_embeddings=2048)
    else:
        config = Qwen2Config(vocab_size=vocab_size, hidden_size=64, intermediate_size=128,
                             num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                             max_position_embeddings=2048)
    config.bos_token_id = tok.bos_token_id
    config.eos_token_id = tok.eos_token_id
    config.pad_token_id = tok.pad_token_id
    return AutoModelForCausalLM.from_config(config, attn_implementation="eager")


def save(family: str, folder: Path) -> Path:
    """Tokenizer and random model of ``family`` saved to ``folder`` (a ``--model`` path)."""
    tok = tokenizer(family)
    net = model(family, tok)
    folder.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(folder)
    net.save_pretrained(folder)
    return folder
