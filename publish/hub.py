"""Upload a published version to the Hugging Face Hub, one tag per version.

Needs network and a token with write access; both are checked first so the failure says which
is missing instead of surfacing as a connection traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from publish.store import read_manifest, verify_version

OFFLINE_VALUES = {"1", "true", "yes", "on"}


class HubPushError(RuntimeError):
    """The version could not be pushed; the message says why and what to do."""


def push_version(version_dir: Path, repo: str, token: str | None = None) -> str:
    """Upload `version_dir` to the dataset repo `repo` and tag the commit with the version.

    Returns the commit url. The version is verified against its manifest first, so a damaged
    copy is never published.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in OFFLINE_VALUES:
        raise HubPushError(
            "HF_HUB_OFFLINE is set, so the Hub cannot be reached: run with HF_HUB_OFFLINE=0 "
            "on a machine with network access"
        )
    import huggingface_hub
    from huggingface_hub.errors import HfHubHTTPError

    token = token or huggingface_hub.get_token()
    if not token:
        raise HubPushError(
            "no Hugging Face token: pass --token, set HF_TOKEN, or run `hf auth login` "
            "(the token needs write access to the repository)"
        )
    problems = verify_version(version_dir)
    if problems:
        raise HubPushError(f"{version_dir} does not match its manifest: {'; '.join(problems)}")
    version = read_manifest(version_dir)["version"]
    api = huggingface_hub.HfApi(token=token)
    try:
        api.create_repo(repo, repo_type="dataset", exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo,
            folder_path=version_dir,
            repo_type="dataset",
            commit_message=f"{version_dir.parent.name} {version}",
        )
        api.create_tag(repo, tag=version, revision=commit.oid, repo_type="dataset")
    except (HfHubHTTPError, OSError) as err:
        raise HubPushError(f"pushing {version} to {repo} failed: {err}") from None
    return commit.commit_url
