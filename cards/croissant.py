"""croissant.json: MLCommons Croissant 1.0 metadata for a version's Parquet splits.

One FileObject (with its sha256) and one RecordSet per split; every column becomes a field that
extracts the Parquet column. Written as plain JSON-LD so that the flow does not import mlcroissant;
the tests load the file with mlcroissant and iterate its records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from cards.licenses import license_link
from publish.release import FileDigest, split_path, written_sha256

CROISSANT_FILE = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET = "application/x-parquet"
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def croissant_type(arrow_type: pa.DataType) -> str | None:
    """The Croissant dataType of an Arrow column, or None for nested types (left out)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "sc:Text"
    if pa.types.is_boolean(arrow_type):
        return "sc:Boolean"
    if pa.types.is_integer(arrow_type):
        return "sc:Integer"
    if pa.types.is_floating(arrow_type):
        return "sc:Float"
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "sc:Date"
    return None


def croissant_metadata(
    version_dir: Path,
    name: str,
    version: str,
    splits_schema: dict[str, pa.Schema],
    license: list[str],
    description: str = "",
    citation: str | None = None,
    url: str | None = None,
    written: dict[str, FileDigest] | None = None,
) -> dict:
    """The JSON-LD document; the split files must already exist (their sha256 is recorded,
    taken from `written`, the digests `write_parquet` returned, where it has them)."""
    distribution = []
    record_sets = []
    for split, schema in splits_schema.items():
        file_id = f"{split}-parquet"
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": file_id,
                "name": file_id,
                "description": f"The {split} split.",
                "contentUrl": split_path(split),
                "encodingFormat": PARQUET,
                "sha256": written_sha256(version_dir, split_path(split), written),
            }
        )
        fields = [
            {
                "@type": "cr:Field",
                "@id": f"{split}/{column.name}",
                "name": column.name,
                "description": f"Column `{column.name}` ({column.type}).",
                "dataType": data_type,
                "source": {"fileObject": {"@id": file_id}, "extract": {"column": column.name}},
            }
            for column in schema
            if (data_type := croissant_type(column.type)) is not None
        ]
        record_set = {
            "@type": "cr:RecordSet",
            "@id": split,
            "name": split,
            "description": f"Rows of the {split} split.",
            "field": fields,
        }
        if "id" in schema.names:
            record_set["key"] = {"@id": f"{split}/id"}
        record_sets.append(record_set)
    metadata = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": description or f"{name}, a curated text dataset.",
        "conformsTo": CONFORMS_TO,
        "version": version,
        "license": sorted({license_link(x) for x in license}),
        "url": url or "README.md",
        "distribution": distribution,
        "recordSet": record_sets,
    }
    if citation:
        metadata["citeAs"] = citation
    return metadata


def write_croissant(
    version_dir: Path,
    name: str,
    version: str,
    splits_schema: dict[str, pa.Schema],
    license: list[str],
    description: str = "",
    citation: str | None = None,
    url: str | None = None,
    written: dict[str, FileDigest] | None = None,
) -> Path:
    """Write `croissant.json` beside the splits (call after the Parquet files are written)."""
    metadata = croissant_metadata(
        version_dir, name, version, splits_schema, license, description, citation, url, written
    )
    path = version_dir / CROISSANT_FILE
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
