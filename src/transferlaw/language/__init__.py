"""The language stage: what people write, read with positions and checked (YAML, the condition language, rule sets,
cases, rule-set text), into the frozen model.

See docs/architecture.md."""
