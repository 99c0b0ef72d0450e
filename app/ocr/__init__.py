"""ID-card OCR, offline (issue 10): engine (RapidOCR, once per process) → parsing (fields after their labels) →
checks (the one ID module, cross-checks, warnings) → compare (card beside the register); service is the command
(permission, audit), web the edge shared by the REST API and the screens, job the background check."""
