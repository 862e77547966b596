from pathlib import Path

import pytest

from curate.recipe import RecipeError, load_recipe

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "recipe.yaml"
    path.write_text(body)
    return path


MINIMAL = """
name: tiny
sources:
  - {path: rows.csv, text: body, license: cc0-1.0}
"""


def test_demo_recipe_is_valid():
    recipe = load_recipe(REPO / "recipes" / "demo.yaml")
    assert recipe.name == "demo-corpus"
    assert [s.resolved_format() for s in recipe.sources] == ["csv", "jsonl", "html"]
    assert recipe.dataset_dir() == (REPO / "published" / "demo-corpus").resolve()


def test_minimal_recipe_gets_defaults(tmp_path):
    recipe = load_recipe(write(tmp_path, MINIMAL))
    assert recipe.splits.ratios == {"train": 0.8, "validation": 0.1, "test": 0.1}
    assert recipe.index.kind == "auto"


def test_unknown_key_is_one_line_naming_the_key(tmp_path):
    path = write(tmp_path, MINIMAL + "splits: {seed: 3, sead: 4}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    message = str(err.value)
    assert message.count("\n") == 0
    assert "splits.sead: unknown key" in message


def test_wrong_type_names_the_key_and_the_value(tmp_path):
    path = write(tmp_path, MINIMAL + "splits: {seed: thirteen}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    assert "splits.seed" in str(err.value) and "'thirteen'" in str(err.value)


def test_missing_text_column_is_explained(tmp_path):
    path = write(tmp_path, "name: t\nsources:\n  - {path: rows.csv, license: mit}\n")
    with pytest.raises(RecipeError, match=r"sources\.0: .*needs `text`"):
        load_recipe(path)


def test_split_fractions_must_sum_to_one(tmp_path):
    path = write(tmp_path, MINIMAL + "splits: {ratios: {train: 0.5, test: 0.2}}\n")
    with pytest.raises(RecipeError, match=r"splits\.ratios: .*sum to 0\.7"):
        load_recipe(path)


def test_dataset_name_cannot_escape_the_publish_root(tmp_path):
    path = write(tmp_path, MINIMAL.replace("name: tiny", "name: ../evil"))
    with pytest.raises(RecipeError, match="name"):
        load_recipe(path)


def test_bad_yaml_names_the_file(tmp_path):
    path = write(tmp_path, "name: [unclosed\n")
    with pytest.raises(RecipeError, match=r"recipe\.yaml: not valid YAML"):
        load_recipe(path)


def test_recipe_reference_is_current():
    from curate.recipe_docs import render

    written = (REPO / "docs" / "RECIPE.md").read_text()
    assert written == render(), "regenerate: python -m curate.recipe_docs > docs/RECIPE.md"
