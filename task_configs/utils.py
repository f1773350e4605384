"""Task-configuration shim: the YAML's ``!function utils.*`` names, from the package."""

from sustain_tasks.lm_eval.adapter import (
    custom_dataset,
    flexible_extract,
    process_results,
    strict_match,
)

__all__ = ["custom_dataset", "flexible_extract", "process_results", "strict_match"]
