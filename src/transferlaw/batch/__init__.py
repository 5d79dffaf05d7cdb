"""The batch stage: many cases. Inputs (files, folders, spreadsheets), worker processes, the manifest and summaries.

See docs/architecture.md."""
