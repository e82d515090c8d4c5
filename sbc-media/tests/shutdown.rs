//! Workers are real threads: shutdown (explicit or by drop) must join every one.
//! Alone in its binary so the thread census is not disturbed by other tests.

mod common;

use common::*;
use sbc_core::ids::{CallRef, LegSide};
use sbc_core::media::{MediaControl, MediaError};
use sbc_media::MediaEngine;

/// Threads of this process named like media workers.
fn media_threads() -> usize {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|name| name.starts_with("sbc-media-"))
        .count()
}

#[test]
fn shutdown_and_drop_join_all_workers() {
    let engine = MediaEngine::start(settings(4, 3)).unwrap();
    engine.sync().unwrap(); // every worker is running (and has named itself)
    assert_eq!(media_threads(), 3);
    let (a, _) = engine.allocate(CallRef(1), LegSide::A).unwrap();
    let (b, _) = engine.allocate(CallRef(1), LegSide::B).unwrap();
    engine.connect(a, b).unwrap();

    engine.shutdown();
    assert_eq!(media_threads(), 0);
    engine.shutdown(); // idempotent
    assert!(matches!(
        engine.allocate(CallRef(2), LegSide::A),
        Err(MediaError::Io(_))
    ));
    assert_eq!(
        engine.stats().ports_in_use,
        0,
        "a refused allocation keeps no ports"
    );

    let shared: std::sync::Arc<dyn MediaControl> =
        std::sync::Arc::new(MediaEngine::start(settings(4, 2)).unwrap());
    shared.allocate(CallRef(3), LegSide::A).unwrap();
    drop(shared);
    assert_eq!(media_threads(), 0);
}
