//! Supervisor features: monitor sessions and their modes (listen, whisper, barge,
//! take-over), authorization by role, tenant and queue, the audit log, live call
//! signals and the HTTP/WebSocket API.
//!
//! Built so far: [`audit`], the durable, tamper-evident audit log every monitoring
//! action is written to before it takes effect.

pub mod audit;
