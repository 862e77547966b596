"""License handling: Hub ids, combined metadata, and known conflicts flagged or failing the run."""

from __future__ import annotations

import pytest
from huggingface_hub import DatasetCard

from cards import CardConfig, LicenseConflictError, assess_licenses, render_card
from cards.licenses import (
    combine_licenses,
    enforce_license_policy,
    hub_licenses,
    is_hub_license,
    license_link,
    render_license_file,
)
from tests.test_card import make_context


def kinds(per_source: dict[str, str]) -> dict[str, str]:
    return {f.kind: f.severity for f in assess_licenses(per_source).findings}


def test_hub_license_list_is_shipped_with_its_source():
    licenses = hub_licenses()
    assert len(licenses) == 69
    assert (
        licenses["cc-by-nc-sa-4.0"] == "Creative Commons Attribution Non Commercial Share Alike 4.0"
    )
    assert {"apache-2.0", "mit", "cc0-1.0", "odbl", "other", "unknown"} <= set(licenses)
    assert is_hub_license("CC-BY-4.0") and is_hub_license("GPL-3.0-only")
    assert not is_hub_license("cc-by-4.1") and not is_hub_license("proprietary")


def test_license_links_point_at_the_license_text():
    assert license_link("cc-by-sa-4.0") == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert license_link("cc0-1.0") == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert license_link("apache-2.0") == "https://spdx.org/licenses/Apache-2.0.html"
    assert license_link("openrail").startswith("https://huggingface.co/docs/hub/")


def test_agreeing_sources_give_one_license_without_findings():
    assessment = assess_licenses({"a": "mit", "b": "MIT"})
    assert assessment.metadata == {"license": "mit"} and assessment.findings == []
    assert combine_licenses(["cc-by-4.0"]) == {"license": "cc-by-4.0"}


def test_unknown_single_license_is_published_as_other_and_flagged():
    assessment = assess_licenses({"a": "proprietary-1.0"})
    assert assessment.metadata["license"] == "other"
    assert assessment.metadata["license_name"] == "proprietary-1.0"
    assert [f.kind for f in assessment.conflicts] == ["not_a_hub_license"]


def test_non_commercial_with_commercial_source_is_a_conflict():
    assessment = assess_licenses({"forum": "cc-by-nc-4.0", "news": "cc-by-4.0"})
    (conflict,) = assessment.conflicts
    assert conflict.kind == "non_commercial_with_commercial"
    assert conflict.sources == ["forum", "news"]
    assert "may not be used commercially" in conflict.message
    assert assessment.metadata["license"] == "other"


def test_non_commercial_sources_alone_do_not_conflict():
    assert kinds({"a": "cc-by-nc-4.0", "b": "cc-by-nc-4.0"}) == {}


def test_share_alike_no_derivatives_and_unspecified_are_flagged():
    assert kinds({"a": "cc-by-sa-4.0", "b": "cc-by-4.0"}) == {
        "share_alike": "obligation",
        "sources_disagree": "obligation",
    }
    assert kinds({"a": "cc-by-sa-4.0", "b": "odbl"})["incompatible_share_alike"] == "conflict"
    assert kinds({"a": "cc-by-nd-4.0"}) == {"no_derivatives": "conflict"}
    assert kinds({"a": "unknown"}) == {"unspecified_license": "conflict"}


def test_mixed_nc_recipe_is_flagged_in_the_card():
    context = make_context(("cc-by-4.0", "cc-by-nc-4.0"))
    card = render_card(context)
    assert "**Sources have different licenses.**" in card
    assert "⚠️ **Conflict** (non_commercial_with_commercial)" in card
    assert "The sources' licenses conflict" in card
    data = DatasetCard(card).data.to_dict()
    assert data["license"] == "other" and "cc-by-nc-4.0" in data["license_name"]


def test_conflict_fails_only_when_the_recipe_says_so():
    assessment = assess_licenses({"forum": "cc-by-nc-4.0", "news": "cc-by-4.0"})
    enforce_license_policy(assessment, CardConfig().fail_on_license_conflict)
    strict = CardConfig.model_validate({"fail_on_license_conflict": True})
    with pytest.raises(LicenseConflictError, match="non_commercial_with_commercial"):
        enforce_license_policy(assessment, strict.fail_on_license_conflict)
    agreeing = assess_licenses({"a": "cc-by-4.0", "b": "cc0-1.0"})
    enforce_license_policy(agreeing, strict.fail_on_license_conflict)  # obligations never fail


def test_license_file_lists_each_source_and_the_findings():
    assessment = assess_licenses({"forum": "cc-by-nc-4.0", "news": "cc-by-4.0"})
    text = render_license_file("mixed", assessment)
    assert "| forum | Creative Commons Attribution Non Commercial 4.0 (`cc-by-nc-4.0`)" in text
    assert "**conflict** (non_commercial_with_commercial)" in text
