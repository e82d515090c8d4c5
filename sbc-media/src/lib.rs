//! Media plane: anchors RTP/RTCP for every call behind the `MediaControl` port.
//!
//! Port pairs from a range, relay workers (one thread and one `mio::Poll` each),
//! symmetric latching (optionally strict), RFC 5761 rtcp-mux, per-stream and engine
//! counters, SRTP/SRTCP per leg. The relay reads and sends in `recvmmsg`/`sendmmsg`
//! batches; a packet is decrypted once in its receive slot with the sending leg's key
//! and encrypted per sink with the receiving leg's key (`security`). Forks copy a
//! stream to recorders; monitored calls get a mixer on their worker (`monitor`).
//!
//! Module map: `engine` (the public face), `pool` + `socket` (ports), `command`
//! (control queue), `worker` (thread, tables, commands), `relay` (packet path),
//! `mmsg` (batched syscalls), `slot`, `latch`, `sink`, `packet`, `security` (per-stream
//! pieces), `srtp` (the transforms), `rtp` (header views, RTCP, stats, DTMF),
//! `stats` (counters), `egress` (RTP continuity of a leg), `mixer` (the sans-IO
//! monitoring mixer), `monitor` (mixers wired into the workers), `codec`.

pub mod codec;
mod command;
mod egress;
mod engine;
mod latch;
pub mod mixer;
mod mmsg;
mod monitor;
mod packet;
mod pool;
mod quality;
mod relay;
pub mod rtp;
mod security;
mod settings;
mod sink;
mod slot;
mod socket;
pub mod srtp;
mod stats;
mod worker;

/// Hooks for the crate's own integration tests; not a public API.
#[doc(hidden)]
pub mod testing {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

    /// True on a media relay worker thread (the allocation test counts only those).
    pub fn in_media_worker() -> bool {
        crate::worker::in_media_worker()
    }

    /// A global allocator for allocation tests: the system allocator, counting the
    /// allocations made on media worker threads while counting is on. A test binary
    /// installs it with `#[global_allocator] static A: WorkerAllocations =
    /// WorkerAllocations::new();` and measures with `start` / `stop`.
    pub struct WorkerAllocations {
        enabled: AtomicBool,
        allocs: AtomicUsize,
        bytes: AtomicUsize,
    }

    impl WorkerAllocations {
        pub const fn new() -> Self {
            WorkerAllocations {
                enabled: AtomicBool::new(false),
                allocs: AtomicUsize::new(0),
                bytes: AtomicUsize::new(0),
            }
        }

        /// Resets the counters and starts counting.
        pub fn start(&self) {
            self.allocs.store(0, Relaxed);
            self.bytes.store(0, Relaxed);
            self.enabled.store(true, Relaxed);
        }

        /// Stops counting: `(allocations, bytes)` on worker threads since `start`.
        pub fn stop(&self) -> (usize, usize) {
            self.enabled.store(false, Relaxed);
            (self.allocs.load(Relaxed), self.bytes.load(Relaxed))
        }

        /// Counts what `run` makes the workers allocate.
        pub fn during(&self, run: impl FnOnce()) -> (usize, usize) {
            self.start();
            run();
            self.stop()
        }
    }

    impl Default for WorkerAllocations {
        fn default() -> Self {
            Self::new()
        }
    }

    // SAFETY: every call is forwarded unchanged to `System`; counting only touches
    // atomics and a const-initialized thread-local, neither of which allocates.
    unsafe impl GlobalAlloc for WorkerAllocations {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if self.enabled.load(Relaxed) && in_media_worker() {
                self.allocs.fetch_add(1, Relaxed);
                self.bytes.fetch_add(layout.size(), Relaxed);
            }
            // SAFETY: forwarding the caller's layout to the system allocator unchanged.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: `ptr` came from `System.alloc` with this layout.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The positive control of the allocation tests: a zero there means nothing
        /// was allocated, not that nothing was counted.
        #[test]
        fn counts_worker_threads_only_while_on() {
            static COUNTER: WorkerAllocations = WorkerAllocations::new();
            let layout = Layout::from_size_align(48, 8).unwrap();
            let alloc_once = move || {
                // SAFETY: a valid non-zero layout, freed with the same layout.
                unsafe { COUNTER.dealloc(COUNTER.alloc(layout), layout) }
            };
            COUNTER.start();
            alloc_once(); // the test thread is not a worker
            std::thread::spawn(move || {
                crate::worker::mark_media_worker();
                alloc_once();
                alloc_once();
            })
            .join()
            .unwrap();
            assert_eq!(COUNTER.stop(), (2, 96));
            std::thread::spawn(move || {
                crate::worker::mark_media_worker();
                alloc_once();
            })
            .join()
            .unwrap();
            assert_eq!(COUNTER.stop(), (2, 96), "counting is off after stop");
        }
    }
}

pub use egress::{EgressRewrite, MAX_PT_MAPS};
pub use engine::{CallMediaStats, MediaEngine};
pub use settings::MediaSettings;
pub use stats::{DropCounts, DropReason, MediaStats, RtpQuality, TrafficStats};
