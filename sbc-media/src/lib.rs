//! Media plane (being written).
