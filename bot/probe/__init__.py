"""The safe URL probe: URL gate, address classifier, guarded transport. No Slack imports here."""
