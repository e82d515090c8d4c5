//! Supervisor features: monitor sessions and their modes (listen, whisper, barge,
//! take-over), authorization by role, tenant and queue, the audit log, live call
//! signals and the HTTP/WebSocket API.
//!
//! Empty until the monitoring issue: the crate exists so the workspace has the shape
//! of DESIGN.md and the dependency direction (`sbc-core` <- `sbc-monitor`) is fixed.
