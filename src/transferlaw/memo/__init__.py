"""The memo stage: words. The memo as data, the rule set's texts rendered in the sandbox, and the Markdown, HTML, JSON
and Word renderers; atomic output.

See docs/architecture.md."""
