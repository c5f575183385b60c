"""Discovery and routing of uploads, Ray jobs, the artifact store and the `teletriage` command.

``workers`` wires the pure domain libraries (:mod:`ecg`, :mod:`imaging`, :mod:`lab`) into Ray jobs and the
:mod:`worklist`; it holds no clinical rule.
"""

from .discover import Discovery, Kind, Rejection, Upload, discover, record_key
from .errors import ConfigError, PipelineError, StoreError
from .run import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, RunSummary, ensure_ray, plan_batches, run_pipeline
from .settings import PipelineSettings, Settings, load_settings
from .store import Artifact, ArtifactStore, sha256_bytes, sha256_file

__all__ = [
    "Artifact",
    "ArtifactStore",
    "ConfigError",
    "Discovery",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_REJECTED",
    "Kind",
    "PipelineError",
    "PipelineSettings",
    "Rejection",
    "RunSummary",
    "Settings",
    "StoreError",
    "Upload",
    "discover",
    "ensure_ray",
    "load_settings",
    "plan_batches",
    "record_key",
    "run_pipeline",
    "sha256_bytes",
    "sha256_file",
]
