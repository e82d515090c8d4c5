//! The SRTP and media-security keys: a trunk's `srtp` policy and `srtp_suites`, and
//! `[media]` `strict_source` and `srtp_replay_window`. Defaults, accepted values, and
//! every bad value reported as `FILE:LINE:COL: KEY: MESSAGE`.

use sbc_core::config::{Config, ConfigError, SrtpPolicy};
use sbc_core::media::SrtpSuite;

/// A valid trunk (lines 1-3) that tests append keys to; appended text starts at line 4.
const TRUNK: &str = "\
[[trunk]]
name = \"t\"
address = \"192.0.2.7:5060\"
";

fn ok(text: &str) -> Config {
    match Config::from_toml_str(text, "srtp.toml") {
        Ok(c) => c,
        Err(e) => panic!("expected valid config:\n{e}"),
    }
}

fn errors(text: &str) -> Vec<ConfigError> {
    match Config::from_toml_str(text, "srtp.toml") {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.into_vec(),
    }
}

/// The one error of `text`, displayed.
fn one(text: &str) -> String {
    let e = errors(text);
    assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
    e[0].to_string()
}

#[test]
fn defaults() {
    let c = ok(TRUNK);
    assert_eq!(c.trunks[0].srtp, SrtpPolicy::Optional);
    assert_eq!(c.trunks[0].srtp_suites, SrtpSuite::ALL.to_vec());
    assert!(!c.media.strict_source);
    assert_eq!(c.media.srtp_replay_window, 128);
}

#[test]
fn policies_any_case() {
    for (text, want) in [
        ("off", SrtpPolicy::Off),
        ("Optional", SrtpPolicy::Optional),
        ("MANDATORY", SrtpPolicy::Mandatory),
    ] {
        let c = ok(&format!("{TRUNK}srtp = \"{text}\"\n"));
        assert_eq!(c.trunks[0].srtp, want, "{text}");
    }
}

#[test]
fn bad_policy_names_file_line_col_and_key() {
    assert_eq!(
        one(&format!("{TRUNK}srtp = \"required\"\n")),
        "srtp.toml:4:1: trunk[0].srtp: unknown SRTP policy `required`; \
         expected one of: off, optional, mandatory"
    );
    assert_eq!(
        one(&format!("{TRUNK}srtp = true\n")),
        "srtp.toml:4:1: trunk[0].srtp: expected a string, found boolean"
    );
}

#[test]
fn suites_in_preference_order() {
    let c = ok(&format!(
        "{TRUNK}srtp_suites = [\"aes_cm_128_hmac_sha1_80\", \"AEAD_AES_128_GCM\"]\n"
    ));
    assert_eq!(
        c.trunks[0].srtp_suites,
        [SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AeadAes128Gcm]
    );
}

#[test]
fn unknown_suite_is_an_error_at_its_element() {
    let text = format!("{TRUNK}srtp_suites = [\"AEAD_AES_256_GCM\", \"F8_128_HMAC_SHA1_80\"]\n");
    let shown = one(&text);
    assert!(
        shown.starts_with(
            "srtp.toml:4:36: trunk[0].srtp_suites[1]: unknown SRTP suite `F8_128_HMAC_SHA1_80`; \
             expected one of: AEAD_AES_256_GCM, "
        ),
        "{shown}"
    );
}

#[test]
fn empty_and_repeated_suites() {
    assert_eq!(
        one(&format!("{TRUNK}srtp_suites = []\n")),
        "srtp.toml:4:1: trunk[0].srtp_suites: must name at least one suite \
         (set srtp = \"off\" to disable SRTP)"
    );
    assert_eq!(
        one(&format!(
            "{TRUNK}srtp_suites = [\"AEAD_AES_128_GCM\", \"aead_aes_128_gcm\"]\n"
        )),
        "srtp.toml:4:36: trunk[0].srtp_suites[1]: AEAD_AES_128_GCM is listed twice"
    );
    assert_eq!(
        one(&format!("{TRUNK}srtp_suites = \"AEAD_AES_128_GCM\"\n")),
        "srtp.toml:4:1: trunk[0].srtp_suites: expected an array of strings, found string"
    );
}

#[test]
fn unknown_trunk_key_lists_the_srtp_keys() {
    let shown = one(&format!("{TRUNK}srtp_suite = []\n"));
    assert!(
        shown.contains("did you mean `srtp_suites`?")
            && shown.contains("accept_from, srtp, srtp_suites"),
        "{shown}"
    );
}

#[test]
fn media_keys() {
    let c = ok("[media]\nstrict_source = true\nsrtp_replay_window = 1024\n");
    assert!(c.media.strict_source);
    assert_eq!(c.media.srtp_replay_window, 1024);
    assert_eq!(
        ok("[media]\nsrtp_replay_window = 64\n")
            .media
            .srtp_replay_window,
        64
    );
}

#[test]
fn bad_media_values_name_file_line_col_and_key() {
    assert_eq!(
        one("[media]\nsrtp_replay_window = 63\n"),
        "srtp.toml:2:1: media.srtp_replay_window: must be between 64 and 1024, got 63"
    );
    assert_eq!(
        one("[media]\n\nsrtp_replay_window = 2048\n"),
        "srtp.toml:3:1: media.srtp_replay_window: must be between 64 and 1024, got 2048"
    );
    assert_eq!(
        one("[media]\nstrict_source = \"yes\"\n"),
        "srtp.toml:2:1: media.strict_source: expected a boolean (true or false), found string"
    );
}

#[test]
fn one_bad_trunk_key_does_not_hide_another() {
    let text = format!("{TRUNK}srtp = \"sometimes\"\nsrtp_suites = [\"NULL\"]\n");
    let keys: Vec<(String, Option<usize>)> = errors(&text)
        .into_iter()
        .map(|e| (e.key.clone(), e.line()))
        .collect();
    assert_eq!(
        keys,
        [
            ("trunk[0].srtp".to_owned(), Some(4)),
            ("trunk[0].srtp_suites[0]".to_owned(), Some(5)),
        ]
    );
}
