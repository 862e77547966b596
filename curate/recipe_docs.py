"""Generate docs/RECIPE.md from the recipe's pydantic models, so the reference never drifts."""

from __future__ import annotations

import sys
import typing

from pydantic import BaseModel

from curate.recipe import Recipe

HEADER = """# Recipe reference

Generated from the recipe schema by `python -m curate.recipe_docs > docs/RECIPE.md`; a test
checks that this file is current. Relative paths resolve against the recipe file's directory.
See `recipes/demo.yaml` for a complete example.
"""


def _models_in(annotation: typing.Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _type_name(annotation: typing.Any) -> str:
    text = getattr(annotation, "__name__", None) if not typing.get_args(annotation) else None
    return text or str(annotation).replace("typing.", "")


def _section(model: type[BaseModel], prefix: str, out: list[str]) -> None:
    out += [
        f"## `{prefix}`" if prefix else "## top level",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        default = (
            "required"
            if field.is_required()
            else repr(field.get_default(call_default_factory=True))
        )
        if isinstance(field.get_default(call_default_factory=True), BaseModel):
            default = "(section)"
        kind = _type_name(field.annotation).replace("|", "\\|")
        out.append(f"| `{name}` | `{kind}` | `{default}` | {field.description or ''} |")
        nested += [
            (f"{prefix}.{name}" if prefix else name, m) for m in _models_in(field.annotation)
        ]
    out.append("")
    for key, sub in nested:
        _section(sub, key + ("[]" if key == "sources" else ""), out)


def render() -> str:
    lines = [HEADER]
    _section(Recipe, "", lines)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
