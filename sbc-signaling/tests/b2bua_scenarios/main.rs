//! Sans-IO scenario tests of the B2BUA call engine in virtual time: a caller UA, the
//! SBC engine and a callee UA on a simulated network with delay, jitter, loss and
//! duplication. One scenario per file; `sim`, `ua`, `ua_msg` and `fake_media` are the
//! harness.

mod fake_media;
mod sim;
mod ua;
mod ua_msg;

mod basic_call;
mod cancel;
mod cancel_200_race;
mod edge_cases;
mod failures;
mod forking;
mod hold_resume;
mod late_offer;
mod loss_30pct;
mod monitor;
mod monitor_srtp;
mod monitor_unacked;
mod reinvite_glare;
mod reinvite_variants;
mod srtp;
mod takeover;
mod timer_b;
mod timer_c;
mod transfer;
