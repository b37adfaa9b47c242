//! bounds: filled in by its own issue.
