//! SIP messages (RFC 3261 §7, §20, §25): a zero-copy parser that indexes a received
//! buffer and decodes headers on demand, a serializer writing into a reusable buffer,
//! and the stream framer that finds message boundaries on TCP/TLS.
//!
//! Layout: `head` splits header lines, `start_line` reads the first line, `message`
//! builds the index and the raw accessors, `typed` the typed ones; `via`,
//! `name_addr`, `uri` and `scan` parse header values; `writer` serializes; `framing`
//! delimits stream messages.

mod error;
mod framing;
mod head;
mod header_name;
mod message;
mod method;
mod name_addr;
mod scan;
mod start_line;
mod typed;
mod uri;
mod via;
mod writer;

pub use error::ParseError;
pub use framing::{message_length, Frame};
pub use header_name::HeaderName;
pub use message::{Header, SipMessage, StartLine};
pub use method::{ExtensionMethod, Method, MAX_EXTENSION_METHOD_LEN};
pub use name_addr::NameAddr;
pub use typed::CSeq;
pub use uri::{Scheme, Uri};
pub use via::{Rport, Via};
pub use writer::{default_reason, response_to, MessageWriter};

/// Largest message accepted on any transport; above it `parse` and `message_length`
/// return [`ParseError::TooLarge`] so the caller can answer 513 (and close a stream).
pub const MAX_MESSAGE_BYTES: usize = 65_535;
