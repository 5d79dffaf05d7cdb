"""The engine stage: deciding. The three-valued logic, the Kleene evaluator and trials, durable_rules (one adapter),
evaluation and its cross-check, and the Workspace that owns prepared rule sets.

See docs/architecture.md."""
