//! SDP (RFC 8866, formerly RFC 4566) for the B2BUA: parse a peer's session description
//! into what the media plane needs (`RemoteMedia` per stream), and rewrite it for the
//! other leg so that it points at the SBC's own media ports and hides the peer's
//! topology, keeping everything else byte-exact.
//!
//! - `lines`: splitting the body into typed, numbered lines (CRLF or LF);
//! - `fields`: the token/address/attribute grammar shared by the line parsers;
//! - `parse`: [`Sdp`] (session level, [`Origin`]) and validation;
//! - `media`: [`MediaDescription`], one per m=, and its media-plane view;
//! - `rewrite`: [`rewrite`] with a [`RewritePlan`] per leg;
//! - `crypto`: SDES `a=crypto` (RFC 4568): parse, choose, generate, and the per-m-line
//!   [`SecurityRewrite`] that replaces or removes crypto lines and switches AVP/SAVP;
//! - `error`: [`SdpError`], naming the line and what is wrong.
//!
//! Parsing borrows the body and allocates a few small vectors (lines, media,
//! attributes); it is a signaling-time cost, once per offer or answer. Nothing here
//! panics on any input: the fuzz target `fuzz/fuzz_targets/sdp.rs` checks it, and that
//! every rewrite of a parsed SDP parses again.
//!
//! Policy decisions (documented where they are implemented):
//! - IPv6 `c=IN IP6` is supported on input and output; the output family follows the
//!   SBC address of the leg, not the peer's.
//! - c= must be an IP literal (an FQDN cannot be resolved sans-IO); more than one c= in
//!   a media description (layered multicast) is refused.
//! - b= lines and a=sendrecv (and every direction attribute) are kept as written.
//! - session-level a=rtcp is not interpreted and is dropped on rewrite.
//! - ICE attributes are dropped on rewrite; the SBC terminates the media path.

pub mod crypto;
mod error;
mod fields;
mod lines;
mod media;
mod parse;
mod payloads;
mod rewrite;

pub use crypto::{choose, crypto_lines, CryptoAttr, CryptoError, KeyParam, Suite, Unusable};
pub use error::{LineProblem, SdpError};
pub use media::MediaDescription;
pub use parse::{Origin, Sdp, MAX_MEDIA};
pub use rewrite::{rewrite, RewritePlan, SecurityRewrite};
