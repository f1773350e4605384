"""Writing one benchmark's section of ``RESULTS.md`` without touching the others."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_section"]


def write_section(out: Path, title: str, lines: list[str]) -> None:
    """Replace (or append) the section of ``out`` that starts with ``title``, keeping the rest."""
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    section = "\n".join(lines).rstrip("\n") + "\n"
    start = text.find(title)
    if start < 0:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
    else:
        following = text.find("\n# ", start + len(title))
        following = len(text) if following < 0 else following + 1
        text = text[:start] + section + ("\n" + text[following:] if following < len(text)
                                         else "")
    out.write_text(text, encoding="utf-8")
