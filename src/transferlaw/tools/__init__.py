"""The tools stage: for students and instructors. Explanations, lint, coverage, rule-set tests, the scaffold, grading,
the interview, and every command's views.

See docs/architecture.md."""
