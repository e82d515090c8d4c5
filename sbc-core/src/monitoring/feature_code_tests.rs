//! Feature-code parsing: every mode, both target kinds, escapes, and every refusal.

use super::*;

fn parse(user: &str) -> Result<Option<JoinTarget>, FeatureCodeError> {
    FeatureCodes::default().parse(user)
}

fn join(mode: MonitorMode, target: Target) -> Result<Option<JoinTarget>, FeatureCodeError> {
    Ok(Some(JoinTarget { mode, target }))
}

fn agent_target(id: &str) -> Target {
    Target::Agent(AgentId::new(id))
}

#[test]
fn default_codes_map_to_modes() {
    assert_eq!(parse("*81a1"), join(MonitorMode::Listen, agent_target("1")));
    assert_eq!(
        parse("*82a1007"),
        join(MonitorMode::Whisper, agent_target("1007"))
    );
    assert_eq!(
        parse("*83A.x_y-Z"),
        join(MonitorMode::Barge, agent_target(".x_y-Z"))
    );
    assert_eq!(
        parse("*84c42"),
        join(MonitorMode::Takeover, Target::Call(CallRef(42)))
    );
    assert_eq!(
        parse("*81C18446744073709551615"),
        join(MonitorMode::Listen, Target::Call(CallRef(u64::MAX)))
    );
}

#[test]
fn not_a_feature_code_is_none() {
    for user in [
        "",
        "1007",
        "+15550100",
        "*8",
        "*85a1",
        "81a1",
        "a1",
        "*",
        "**81a1",
    ] {
        assert_eq!(parse(user), Ok(None), "{user:?}");
    }
}

#[test]
fn percent_escapes_are_decoded() {
    assert_eq!(
        parse("%2A81a1"),
        join(MonitorMode::Listen, agent_target("1"))
    );
    assert_eq!(
        parse("*81%61%31"),
        join(MonitorMode::Listen, agent_target("1"))
    );
    for bad in ["*81a1%", "*81a1%4", "%zz81", "*81a%ff"] {
        assert_eq!(parse(bad), Err(FeatureCodeError::BadEscape), "{bad:?}");
    }
}

#[test]
fn bad_targets_are_typed_errors() {
    use FeatureCodeError::*;
    let cases: &[(&str, FeatureCodeError)] = &[
        ("*81", MissingTarget),
        ("*811007", UnknownTargetKind('1')),
        ("*81x1", UnknownTargetKind('x')),
        ("*81é1", UnknownTargetKind('é')),
        ("*81a", BadAgentId),
        ("*81a1 2", BadAgentId),
        ("*81a1@x", BadAgentId),
        ("*81aü", BadAgentId),
        ("*81c", BadCallRef),
        ("*81c+1", BadCallRef),
        ("*81c-1", BadCallRef),
        ("*81c1a", BadCallRef),
        ("*81c18446744073709551616", BadCallRef),
    ];
    for (user, want) in cases {
        assert_eq!(parse(user), Err(*want), "{user:?}");
    }
    let long_agent = format!("*81a{}", "1".repeat(65));
    assert_eq!(parse(&long_agent), Err(BadAgentId));
    assert_eq!(parse(&"*".repeat(MAX_USER_LEN + 1)), Err(TooLong));
}

#[test]
fn configured_codes_replace_the_defaults() {
    let codes = FeatureCodes {
        listen: "#1".into(),
        whisper: "#2".into(),
        barge: "#3".into(),
        takeover: "#40".into(),
    };
    assert_eq!(codes.check(), Ok(()));
    assert_eq!(codes.parse("*81a1"), Ok(None));
    assert_eq!(
        codes.parse("%231a7"),
        join(MonitorMode::Listen, agent_target("7"))
    );
    assert_eq!(
        codes.parse("#40c9"),
        join(MonitorMode::Takeover, Target::Call(CallRef(9)))
    );
    assert_eq!(codes.parse("#4c9"), Ok(None));
}

#[test]
fn check_refuses_bad_and_ambiguous_codes() {
    let mut codes = FeatureCodes::default();
    assert_eq!(codes.check(), Ok(()));
    codes.barge = "*8".into();
    assert_eq!(
        codes.check(),
        Err(FeatureCodeConflict::Ambiguous {
            earlier: MonitorMode::Listen,
            earlier_code: "*81".into(),
            later: MonitorMode::Barge,
            later_code: "*8".into(),
        })
    );
    codes.barge = "*81".into();
    assert!(matches!(
        codes.check(),
        Err(FeatureCodeConflict::Ambiguous { .. })
    ));
    for bad in ["", "*8a", "*81 ", &"1".repeat(17)] {
        codes.barge = bad.into();
        assert_eq!(
            codes.check(),
            Err(FeatureCodeConflict::BadCode(MonitorMode::Barge)),
            "{bad:?}"
        );
    }
}

#[test]
fn overlapping_hand_built_codes_take_the_longest() {
    let codes = FeatureCodes {
        listen: "*8".into(),
        whisper: "*82".into(),
        barge: "".into(),
        takeover: "*84".into(),
    };
    assert_eq!(
        codes.parse("*82a1"),
        join(MonitorMode::Whisper, agent_target("1"))
    );
    assert_eq!(
        codes.parse("*8a1"),
        join(MonitorMode::Listen, agent_target("1"))
    );
}
