//! Configuration schema, loading and validation (being written).
