"""The recipe: one YAML file holding everything a run can be configured with.

Each section's schema lives next to the code it configures; this module composes them and
turns validation errors into one clear line per problem that names the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cards.config import CardConfig
from filters.dedup import DedupConfig
from filters.language import LanguageConfig
from filters.leakage import LeakageConfig
from filters.pii import PiiConfig
from filters.quality import QualityConfig
from filters.toxicity import ToxicityConfig
from flows.shards import RunnerConfig
from indexes import IndexConfig
from loaders import SourceConfig
from publish.splits import SplitConfig
from publish.store import PublishConfig, checked_name


class RecipeError(ValueError):
    """A recipe that cannot be used; the message says which key and why."""


class LimitsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_text_chars: int = Field(100_000, gt=0, description="longer rows are quarantined")


class FiltersConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    """Each filter runs with its defaults unless set to null in the recipe."""

    pii: PiiConfig | None = Field(default_factory=PiiConfig)
    quality: QualityConfig | None = Field(default_factory=QualityConfig)
    language: LanguageConfig | None = Field(default_factory=LanguageConfig)
    toxicity: ToxicityConfig | None = Field(default_factory=ToxicityConfig)
    dedup: DedupConfig | None = Field(default_factory=DedupConfig)
    leakage: LeakageConfig | None = Field(default_factory=LeakageConfig)


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="dataset name: the directory under the publish root")
    description: str = Field("", description="summary for the dataset card")
    sources: list[SourceConfig] = Field(min_length=1, description="inputs, loaded in this order")
    limits: LimitsConfig = Field(default_factory=LimitsConfig, description="row validity limits")
    filters: FiltersConfig = Field(
        default_factory=FiltersConfig, description="curation filters; null switches one off"
    )
    splits: SplitConfig = Field(default_factory=SplitConfig, description="split names and sizes")
    index: IndexConfig = Field(default_factory=IndexConfig, description="embeddings and FAISS")
    card: CardConfig = Field(default_factory=CardConfig, description="dataset card options")
    publish: PublishConfig = Field(default_factory=PublishConfig, description="where and how")
    runner: RunnerConfig = Field(
        default_factory=RunnerConfig, description="task runner and shard size (threads or Dask)"
    )

    base_dir: Path = Field(Path("."), exclude=True, description="set from the recipe's location")

    def dataset_dir(self) -> Path:
        """`publish.root/name`; a dataset directory that is a symlink (it could point anywhere)
        is refused, so what a run writes stays under the publish root."""
        root = Path(self.publish.root)
        root = root if root.is_absolute() else (self.base_dir / root).resolve()
        dataset_dir = root / checked_name(self.name)
        if dataset_dir.is_symlink():
            raise RecipeError(
                f"publish: {dataset_dir.name} under the publish root is a symlink; "
                "refusing to publish through it"
            )
        return dataset_dir

    def as_recorded(self) -> dict[str, Any]:
        """The recipe as run, for the manifest (paths as written, no machine-local base dir)."""
        return self.model_dump(mode="json", exclude={"base_dir"})


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file; raise RecipeError with one line per problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(f"{path}: recipe file not found") from None
    except yaml.YAMLError as err:
        raise RecipeError(f"{path}: not valid YAML: {err}") from None
    return parse_recipe(data, path)


def parse_recipe(data: Any, path: Path) -> Recipe:
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a mapping of keys (name, sources, ...)")
    try:
        recipe = Recipe.model_validate(data)
        checked_name(recipe.name)
    except ValidationError as err:
        raise RecipeError("\n".join(_error_lines(path, err))) from None
    except ValueError as err:
        raise RecipeError(f"{path}: name: {err}") from None
    recipe.base_dir = path.resolve().parent
    return recipe


def _error_lines(path: Path, err: ValidationError) -> list[str]:
    lines = []
    for problem in err.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        if problem["type"] == "extra_forbidden":
            lines.append(f"{path}: {key}: unknown key (check the spelling; see docs/RECIPE.md)")
        elif problem["type"] == "missing":
            lines.append(f"{path}: {key}: required key is missing")
        else:
            given = problem.get("input")
            shown = f" (got {given!r})" if not isinstance(given, dict | list) else ""
            lines.append(f"{path}: {key}: {problem['msg']}{shown}")
    return lines
