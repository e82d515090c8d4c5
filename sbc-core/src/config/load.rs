//! Entry points: load a config from a file, from a string, or the compiled-in default.
//!
//! Loading is pure apart from reading the one file, so SIGHUP reload can call `load`
//! again and swap the result in only when it is `Ok`.

use std::path::Path;

use super::decode::Decoder;
use super::error::{ConfigError, ConfigErrorKind, ConfigErrors, LineIndex};
use super::schema::Config;
use super::{sections, validate};

/// The text of `config/sbc.toml`, compiled in (`sbc` can print it as a starting point).
pub const EMBEDDED_DEFAULT_TOML: &str = include_str!("../../../config/sbc.toml");

/// The origin label used in errors about the embedded default.
const EMBEDDED_ORIGIN: &str = "<embedded config/sbc.toml>";

impl Config {
    /// Reads and validates the file at `path`. Every problem is reported, each naming
    /// the file, line, column and key; an unreadable file gives one error with the OS
    /// reason.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let origin = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml_str(&text, &origin),
            Err(e) => Err(ConfigErrors::single(ConfigError {
                origin,
                position: None,
                key: String::new(),
                kind: ConfigErrorKind::Io(e.to_string()),
            })),
        }
    }

    /// Parses and validates TOML `text`; `origin` names it in errors (usually the path).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigErrors> {
        let doc = toml_edit::ImDocument::parse(text).map_err(|e| syntax_error(text, origin, &e))?;
        let mut decoder = Decoder::new(text, origin);
        let config = sections::config(&mut decoder, doc.as_table());
        validate::validate(&mut decoder, &config);
        match ConfigErrors::from_vec(decoder.errors) {
            Some(errors) => Err(errors),
            None => Ok(config),
        }
    }

    /// The compiled-in `config/sbc.toml`.
    ///
    /// # Panics
    /// Never in a built binary: the embedded text is a constant and the unit test
    /// `embedded_default_is_valid` fails the build's tests if it stops validating.
    pub fn embedded_default() -> Config {
        match Config::from_toml_str(EMBEDDED_DEFAULT_TOML, EMBEDDED_ORIGIN) {
            Ok(config) => config,
            Err(e) => panic!("the embedded config/sbc.toml is invalid (a build defect):\n{e}"),
        }
    }
}

/// A TOML syntax error as one `ConfigError`; the parser's multi-line message is folded
/// onto one line so `check-config` output stays one error per line.
fn syntax_error(text: &str, origin: &str, e: &toml_edit::TomlError) -> ConfigErrors {
    let position = e
        .span()
        .map(|s| LineIndex::new(text).position(s.start))
        .unwrap_or(super::error::Position::START);
    let message = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    ConfigErrors::single(ConfigError {
        origin: origin.to_owned(),
        position: Some(position),
        key: String::new(),
        kind: ConfigErrorKind::Syntax(message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Transport;
    use crate::ids::TrunkName;

    #[test]
    fn embedded_default_is_valid() {
        let c = match Config::from_toml_str(EMBEDDED_DEFAULT_TOML, EMBEDDED_ORIGIN) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(c, Config::embedded_default());
        let transports: Vec<Transport> = c.sip.listen.iter().map(|l| l.transport).collect();
        assert_eq!(transports, [Transport::Udp, Transport::Tcp]);
        assert!(c
            .sip
            .listen
            .iter()
            .all(|l| l.address.to_string() == "127.0.0.1:5060"));
        assert_eq!((c.media.port_min, c.media.port_max), (20000, 39999));
        // 5,000 calls x 2 legs x (RTP + RTCP) = 20,000 ports: exactly the range.
        assert_eq!(
            usize::from(c.media.port_max - c.media.port_min) + 1,
            5_000 * 4
        );
        let demo = TrunkName::new("demo");
        assert!(c
            .trunk(&demo)
            .is_some_and(|t| t.accepts("127.9.9.9".parse().unwrap())));
        assert_eq!(
            c.route(Some(&demo), "anything").map(|r| r.name.as_str()),
            Some("default")
        );
        assert_eq!(c.metrics.listen, Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(c.cdr.path, None);
        assert_eq!(c.log.level, "info");
    }

    #[test]
    fn empty_text_gives_defaults() {
        assert_eq!(
            Config::from_toml_str("", "empty.toml"),
            Ok(Config::default())
        );
    }
}
