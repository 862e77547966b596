"""License metadata: Hub license ids, per-source licenses combined, and known conflicts flagged.

The Hub rejects card metadata whose `license` is not one of its ids, so ids are checked against
the Hub's own list (`hub_licenses.txt`, source noted in the file). Rows keep their source's license
in the `license` column; the dataset license is that license when all sources agree, else `other`
with a LICENSE.md that lists them. Conflicts are stated in the card; a recipe option
(`card.fail_on_license_conflict`) decides whether they stop the flow.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

HUB_LICENSES_FILE = Path(__file__).with_name("hub_licenses.txt")
LICENSE_FILE = "LICENSE.md"
HUB_LICENSES_PAGE = "https://huggingface.co/docs/hub/repositories-licenses"

# Copyleft data and software licenses: adaptations must be shared under the same license.
SHARE_ALIKE = {"cdla-sharing-1.0", "odbl", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "agpl-3.0"}
SHARE_ALIKE |= {"lgpl", "lgpl-2.1", "lgpl-3.0", "lgpl-lr"}
# Research-only terms that forbid commercial use, besides the Creative Commons NC family.
NON_COMMERCIAL = {"deepfloyd-if-license"}
UNSPECIFIED = {"other", "unknown"}
# SPDX spellings for license text links; Creative Commons ids link to creativecommons.org.
SPDX_NAMES = {
    "apache-2.0": "Apache-2.0",
    "mit": "MIT",
    "afl-3.0": "AFL-3.0",
    "artistic-2.0": "Artistic-2.0",
    "bsl-1.0": "BSL-1.0",
    "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "bsd-3-clause-clear": "BSD-3-Clause-Clear",
    "cdla-sharing-1.0": "CDLA-Sharing-1.0",
    "cdla-permissive-1.0": "CDLA-Permissive-1.0",
    "cdla-permissive-2.0": "CDLA-Permissive-2.0",
    "wtfpl": "WTFPL",
    "ecl-2.0": "ECL-2.0",
    "epl-1.0": "EPL-1.0",
    "epl-2.0": "EPL-2.0",
    "etalab-2.0": "etalab-2.0",
    "eupl-1.1": "EUPL-1.1",
    "agpl-3.0": "AGPL-3.0-only",
    "gpl-2.0": "GPL-2.0-only",
    "gpl-3.0": "GPL-3.0-only",
    "lgpl-2.1": "LGPL-2.1-only",
    "lgpl-3.0": "LGPL-3.0-only",
    "isc": "ISC",
    "lppl-1.3c": "LPPL-1.3c",
    "ms-pl": "MS-PL",
    "mpl-2.0": "MPL-2.0",
    "odc-by": "ODC-By-1.0",
    "odbl": "ODbL-1.0",
    "osl-3.0": "OSL-3.0",
    "postgresql": "PostgreSQL",
    "ofl-1.1": "OFL-1.1",
    "ncsa": "NCSA",
    "unlicense": "Unlicense",
    "zlib": "Zlib",
    "pddl": "PDDL-1.0",
}


class LicenseConflictError(ValueError):
    """Sources' licenses conflict and the recipe says such a dataset must not be published."""


@functools.cache
def hub_licenses() -> dict[str, str]:
    """Hub license id -> full name, from the shipped copy of the Hub's list."""
    entries = {}
    for line in HUB_LICENSES_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            license_id, name = line.split("\t")
            entries[license_id] = name
    return entries


def normalise_license(license_id: str) -> str:
    """Hub ids are lower case; SPDX spellings (`CC-BY-4.0`, `GPL-3.0-only`) map onto them."""
    return license_id.strip().lower().removesuffix("-only")


def is_hub_license(license_id: str) -> bool:
    return normalise_license(license_id) in hub_licenses()


def license_link(license_id: str) -> str:
    """A URL of the license text (the Hub's license list when no canonical text is known)."""
    hub_id = normalise_license(license_id)
    if hub_id == "cc0-1.0":
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    if hub_id.startswith("cc-") and hub_id[-3:].replace(".", "").isdigit():
        kind, version = hub_id.removeprefix("cc-").rsplit("-", 1)
        return f"https://creativecommons.org/licenses/{kind}/{version}/"
    if hub_id in SPDX_NAMES:
        return f"https://spdx.org/licenses/{SPDX_NAMES[hub_id]}.html"
    return HUB_LICENSES_PAGE


def is_non_commercial(license_id: str) -> bool:
    hub_id = normalise_license(license_id)
    return "-nc" in hub_id or hub_id in NON_COMMERCIAL


def is_share_alike(license_id: str) -> bool:
    hub_id = normalise_license(license_id)
    return "-sa-" in hub_id or hub_id in SHARE_ALIKE


def is_no_derivatives(license_id: str) -> bool:
    return "-nd" in normalise_license(license_id)


@dataclass
class LicenseFinding:
    """One thing a curator must know about the licenses: `conflict`s can fail the flow."""

    kind: str
    severity: str
    sources: list[str]
    message: str


@dataclass
class LicenseAssessment:
    """Per-source licenses, the dataset's combined license metadata, and findings."""

    per_source: dict[str, str]
    metadata: dict[str, str]
    findings: list[LicenseFinding] = field(default_factory=list)

    @property
    def conflicts(self) -> list[LicenseFinding]:
        return [f for f in self.findings if f.severity == "conflict"]

    @property
    def disagree(self) -> bool:
        return len(set(self.per_source.values())) > 1


def combine_licenses(licenses: list[str]) -> dict[str, str]:
    """Card metadata: the one license when all sources agree, else Hub `other` + a LICENSE.md.

    A single id the Hub does not know is also published as `other`, named by that id.
    """
    distinct = sorted({normalise_license(x) for x in licenses})
    if len(distinct) == 1 and distinct[0] in hub_licenses() and distinct[0] != "other":
        return {"license": distinct[0]}
    return {
        "license": "other",
        "license_name": "mixed-" + "-and-".join(distinct) if len(distinct) > 1 else distinct[0],
        "license_link": LICENSE_FILE,
        "license_details": "Rows keep their source's license in the `license` column: "
        + ", ".join(distinct),
    }


def assess_licenses(per_source: dict[str, str]) -> LicenseAssessment:
    """Combine the sources' licenses (source name -> id) and flag known conflicts."""
    normalised = {name: normalise_license(x) for name, x in per_source.items()}
    findings: list[LicenseFinding] = []

    unlisted = sorted(n for n, x in normalised.items() if x not in hub_licenses())
    if unlisted:
        findings.append(
            LicenseFinding(
                "not_a_hub_license",
                "conflict",
                unlisted,
                "not a license id the Hub accepts: "
                + ", ".join(f"{n} ({normalised[n]})" for n in unlisted)
                + f"; use an id from {HUB_LICENSES_PAGE}",
            )
        )
    unspecified = sorted(n for n, x in normalised.items() if x in UNSPECIFIED)
    if unspecified:
        findings.append(
            LicenseFinding(
                "unspecified_license",
                "conflict",
                unspecified,
                "license not specified (`other` or `unknown`) for: " + ", ".join(unspecified),
            )
        )
    non_commercial = sorted(n for n, x in normalised.items() if is_non_commercial(x))
    commercial = sorted(
        n
        for n, x in normalised.items()
        if not is_non_commercial(x) and x not in UNSPECIFIED and x in hub_licenses()
    )
    if non_commercial and commercial:
        findings.append(
            LicenseFinding(
                "non_commercial_with_commercial",
                "conflict",
                non_commercial + commercial,
                f"NonCommercial source(s) {', '.join(non_commercial)} are mixed with "
                f"commercial-use source(s) {', '.join(commercial)}: the dataset as a whole may "
                "not be used commercially; select rows by the `license` column for commercial use",
            )
        )
    no_derivatives = sorted(n for n, x in normalised.items() if is_no_derivatives(x))
    if no_derivatives:
        findings.append(
            LicenseFinding(
                "no_derivatives",
                "conflict",
                no_derivatives,
                f"NoDerivatives source(s) {', '.join(no_derivatives)}: curation (redaction, "
                "filtering) may create adaptations, which these licenses do not allow sharing",
            )
        )
    share_alike = sorted(n for n, x in normalised.items() if is_share_alike(x))
    share_alike_ids = sorted({normalised[n] for n in share_alike})
    if len(share_alike_ids) > 1:
        findings.append(
            LicenseFinding(
                "incompatible_share_alike",
                "conflict",
                share_alike,
                f"different ShareAlike licenses ({', '.join(share_alike_ids)}) each require "
                "adaptations under themselves, so adapted rows cannot be combined under one",
            )
        )
    elif share_alike:
        findings.append(
            LicenseFinding(
                "share_alike",
                "obligation",
                share_alike,
                f"ShareAlike: adaptations of rows from {', '.join(share_alike)} must be shared "
                f"under {share_alike_ids[0]}",
            )
        )
    if len(set(normalised.values())) > 1:
        findings.append(
            LicenseFinding(
                "sources_disagree",
                "obligation",
                sorted(normalised),
                "sources have different licenses; each row keeps its source's license in the "
                "`license` column, and every license's terms apply to its rows",
            )
        )
    return LicenseAssessment(
        per_source=normalised,
        metadata=combine_licenses(list(normalised.values())),
        findings=findings,
    )


def enforce_license_policy(assessment: LicenseAssessment, fail_on_conflict: bool) -> None:
    """Raise LicenseConflictError listing every conflict, when the recipe asks for it."""
    if fail_on_conflict and assessment.conflicts:
        raise LicenseConflictError(
            "license conflicts (set card.fail_on_license_conflict: false to publish with the "
            "conflicts stated in the card):\n"
            + "\n".join(f"- {f.kind}: {f.message}" for f in assessment.conflicts)
        )


def render_license_file(dataset_name: str, assessment: LicenseAssessment) -> str:
    """LICENSE.md for `license: other`: which license covers which source's rows."""
    names = hub_licenses()
    lines = [
        f"# Licenses of {dataset_name}",
        "",
        "This dataset combines sources under different licenses. Each row's license is in its "
        "`license` column; the terms of that license apply to the row.",
        "",
        "| source | license | text |",
        "| --- | --- | --- |",
    ]
    for source, license_id in sorted(assessment.per_source.items()):
        full_name = names.get(license_id, license_id)
        lines.append(f"| {source} | {full_name} (`{license_id}`) | {license_link(license_id)} |")
    if assessment.findings:
        lines += ["", "## Notes", ""]
        lines += [f"- **{f.severity}** ({f.kind}): {f.message}" for f in assessment.findings]
    return "\n".join(lines) + "\n"
