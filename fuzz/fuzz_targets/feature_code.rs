//! Fuzz target for monitoring feature codes (the Request-URI user of a supervisor's
//! INVITE, e.g. `*81a1007`): parse arbitrary text with the default codes and with a
//! configured set. Never a panic; and whatever parses must hold what the grammar
//! promises: the user starts with the mode's code (after percent-decoding), an agent
//! ID is a valid one, and rendering the result back parses to the same target.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sbc_core::monitoring::{is_agent_id, FeatureCodes, Target};

fuzz_target!(|data: &[u8]| {
    let user = String::from_utf8_lossy(data);
    let custom = FeatureCodes {
        listen: "#1".into(),
        whisper: "#2".into(),
        barge: "#3".into(),
        takeover: "##4".into(),
    };
    for codes in [FeatureCodes::default(), custom] {
        let Ok(Some(join)) = codes.parse(&user) else {
            continue;
        };
        let code = codes.code(join.mode);
        let rendered = match &join.target {
            Target::Agent(a) => {
                assert!(is_agent_id(a.as_str()), "agent {a:?} from {user:?}");
                format!("{code}a{a}")
            }
            Target::Call(c) => format!("{code}c{}", c.0),
        };
        assert_eq!(
            codes.parse(&rendered),
            Ok(Some(join)),
            "round trip of {user:?}"
        );
    }
});
