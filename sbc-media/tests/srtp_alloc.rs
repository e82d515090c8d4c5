//! The packet path allocates nothing: after a warm-up packet per SSRC, 10,000
//! protect + unprotect cycles (RTP and RTCP) per suite leave the allocation counter at 0.
//! Own test binary because it installs a counting `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sbc_media::srtp::{SrtpConfig, SrtpContext, Suite};

struct Counting;

thread_local! {
    // Per thread, so the test harness's own threads do not count.
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

fn allocated() -> usize {
    BYTES.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = BYTES.try_with(|b| b.set(b.get() + layout.size()));
        // SAFETY: forwarding the caller's layout to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SUITES: [Suite; 4] = [
    Suite::AesCm128HmacSha1_80,
    Suite::AesCm128HmacSha1_32,
    Suite::AeadAes128Gcm,
    Suite::AeadAes256Gcm,
];

#[test]
fn steady_state_allocates_nothing() {
    for suite in SUITES {
        let key = vec![0x11; suite.key_len()];
        let salt = vec![0x22; suite.salt_len()];
        let cfg = SrtpConfig::default();
        let mut tx = SrtpContext::new(suite, &key, &salt, &cfg).unwrap();
        let mut rx = SrtpContext::new(suite, &key, &salt, &cfg).unwrap();
        let mut buf = [0u8; 256];
        let mut cycle = |seq: u16, buf: &mut [u8; 256]| {
            buf.fill(0);
            buf[0] = 0x80;
            buf[2..4].copy_from_slice(&seq.to_be_bytes());
            buf[8..12].copy_from_slice(&0x0102_0304u32.to_be_bytes());
            let n = tx.protect_rtp(buf, 172).unwrap();
            assert_eq!(rx.unprotect_rtp(&mut buf[..n]).unwrap(), 172);
            buf[..8].copy_from_slice(&[0x81, 201, 0, 7, 1, 2, 3, 4]);
            let n = tx.protect_rtcp(buf, 32).unwrap();
            assert_eq!(rx.unprotect_rtcp(&mut buf[..n]).unwrap(), 32);
        };
        // Warm-up: the first packet of an SSRC creates its table entry.
        cycle(60_000, &mut buf);
        let before = allocated();
        for i in 1..=10_000u16 {
            cycle(60_000u16.wrapping_add(i), &mut buf); // crosses the 65535 -> 0 wrap
        }
        let after = allocated();
        assert_eq!(after - before, 0, "{suite:?} allocated on the packet path");
        assert_eq!(rx.roc(0x0102_0304), Some(1));
    }
}
