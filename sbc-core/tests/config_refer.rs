//! A trunk's `refer` key: what a REFER (call transfer) from that trunk's leg does.
//! Default, accepted values in any case, and bad values reported as
//! `FILE:LINE:COL: KEY: MESSAGE`.

use sbc_core::config::{Config, ConfigError, ReferPolicy};

/// A valid trunk (lines 1-3) that tests append keys to; appended text starts at line 4.
const TRUNK: &str = "\
[[trunk]]
name = \"t\"
address = \"192.0.2.7:5060\"
";

fn ok(text: &str) -> Config {
    match Config::from_toml_str(text, "refer.toml") {
        Ok(c) => c,
        Err(e) => panic!("expected valid config:\n{e}"),
    }
}

fn one_error(text: &str) -> String {
    match Config::from_toml_str(text, "refer.toml") {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => {
            let e: Vec<ConfigError> = e.into_vec();
            assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
            e[0].to_string()
        }
    }
}

#[test]
fn the_sbc_handles_transfers_by_default() {
    assert_eq!(ok(TRUNK).trunks[0].refer, ReferPolicy::Handle);
}

#[test]
fn policies_any_case() {
    for (text, want) in [
        ("handle", ReferPolicy::Handle),
        ("Relay", ReferPolicy::Relay),
        ("REJECT", ReferPolicy::Reject),
    ] {
        let c = ok(&format!("{TRUNK}refer = \"{text}\"\n"));
        assert_eq!(c.trunks[0].refer, want, "{text}");
    }
}

#[test]
fn bad_values_name_file_line_col_and_key() {
    assert_eq!(
        one_error(&format!("{TRUNK}refer = \"forward\"\n")),
        "refer.toml:4:1: trunk[0].refer: unknown REFER policy `forward`; \
         expected one of: handle, relay, reject"
    );
    assert_eq!(
        one_error(&format!("{TRUNK}refer = 1\n")),
        "refer.toml:4:1: trunk[0].refer: expected a string, found integer"
    );
}
