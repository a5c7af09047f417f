"""Privacy: blurred evidence pictures on alerts, kept for a retention period and then deleted."""

from .evidence import EVIDENCE_DIR, EvidenceStore, cameras_for, expired, record_evidence, wants_evidence

__all__ = ["EVIDENCE_DIR", "EvidenceStore", "cameras_for", "expired", "record_evidence", "wants_evidence"]
