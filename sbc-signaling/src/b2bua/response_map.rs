//! How a final response from the B leg is presented to the caller on the A leg.
//!
//! Most statuses pass through unchanged (the caller should know the callee is busy or
//! declined). Two kinds do not: statuses that describe the *hop* rather than the callee
//! (a 503 from the trunk must not tell the caller's proxy that the SBC is overloaded,
//! RFC 3261 §16.7 step 6; a 483/482 from behind the SBC is about the far network) and
//! authentication challenges, which the SBC cannot answer on the caller's behalf and
//! which would expose the far side's realm.

/// (status, reason) to send to the caller for `status` received from the callee.
pub fn map_final(status: u16, reason: &str) -> (u16, String) {
    match status {
        503 => (500, "Service Unavailable Downstream".to_owned()),
        401 | 407 => (
            403,
            "Forbidden (callee requested authentication)".to_owned(),
        ),
        482 | 483 => (
            502,
            "Bad Gateway (loop or too many hops downstream)".to_owned(),
        ),
        // A 408 from the callee and our own Timer B/C expiry both end as 408.
        s @ 300..=699 => (s, reason.to_owned()),
        // A final outside the grammar's range cannot be relayed as-is.
        _ => (502, "Bad Gateway (invalid status)".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callee_statuses_pass_hop_statuses_do_not() {
        assert_eq!(map_final(486, "Busy Here"), (486, "Busy Here".into()));
        assert_eq!(map_final(302, "Moved"), (302, "Moved".into()));
        assert_eq!(map_final(603, "Decline"), (603, "Decline".into()));
        assert_eq!(map_final(503, "Overloaded").0, 500);
        assert_eq!(map_final(407, "Proxy Auth").0, 403);
        assert_eq!(map_final(483, "Too Many Hops").0, 502);
    }
}
