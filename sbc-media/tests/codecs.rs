//! Codec layer end to end: every pair of codecs (µ-law, A-law, G.722, Opus)
//! transcoded through PCM and resampling keeps a tone and a two-tone mix; four legs
//! in four codecs mixed at 48 kHz each hear every other leg's tone; and the per-frame
//! path (decode, conceal, resample, encode) allocates nothing.
//!
//! Own test binary because it installs a counting `#[global_allocator]`; it counts
//! only on a thread that switched counting on, so parallel tests don't interfere.
//! libopus allocates with C `malloc`, which this allocator does not see; libopus
//! only does so in `opus_*_create` (setup), its per-frame scratch is on the stack.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::f64::consts::PI;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use sbc_media::codec::goertzel::{tone_amplitude, tone_snr_db};
use sbc_media::codec::{
    AudioCodec, CodecConfig, CodecKind, FrameDuration, Resampler, SampleRate, MAX_FRAME_SAMPLES,
    MAX_PAYLOAD_BYTES,
};

struct Counting;

thread_local! {
    /// Const-initialized, so reading it from inside `alloc` never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.fetch_add(1, Relaxed);
        }
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

const KINDS: [CodecKind; 4] = [
    CodecKind::Pcmu,
    CodecKind::Pcma,
    CodecKind::G722,
    CodecKind::Opus,
];
const FRAME: FrameDuration = FrameDuration::Ms20;
/// 2 s of audio; the second one is analysed (libopus settles in the first).
const FRAMES: usize = 100;

fn codec(kind: CodecKind) -> AudioCodec {
    AudioCodec::new(CodecConfig::new(kind, FRAME)).expect("codec builds")
}

/// Sum of sines, `amp` each, frame `index` of a continuous signal at `rate`.
fn tone_frame(freqs: &[f64], amp: f64, rate: SampleRate, index: usize, out: &mut [i16]) {
    let r = f64::from(rate.hz());
    let start = index * out.len();
    for (i, o) in out.iter_mut().enumerate() {
        let t = (start + i) as f64 / r;
        let v: f64 = freqs.iter().map(|f| (2.0 * PI * f * t).sin()).sum();
        *o = (amp * v).round() as i16;
    }
}

/// One direction through the SBC: the sender's phone encodes, the SBC decodes,
/// resamples and re-encodes for the receiver, whose phone decodes.
struct Transcode {
    phone_tx: AudioCodec,
    sbc_rx: AudioCodec,
    resampler: Resampler,
    sbc_tx: AudioCodec,
    phone_rx: AudioCodec,
}

impl Transcode {
    fn new(from: CodecKind, to: CodecKind) -> Self {
        Transcode {
            phone_tx: codec(from),
            sbc_rx: codec(from),
            resampler: Resampler::new(from.sample_rate(), to.sample_rate()),
            sbc_tx: codec(to),
            phone_rx: codec(to),
        }
    }

    /// One 20 ms frame through the whole chain; `lost` drops the first hop's packet.
    fn frame(&mut self, pcm_in: &[i16], lost: bool, pcm_out: &mut [i16]) -> usize {
        let mut payload = [0u8; MAX_PAYLOAD_BYTES];
        let mut pcm = [0i16; MAX_FRAME_SAMPLES];
        let mut resampled = [0i16; MAX_FRAME_SAMPLES];
        let len = self.phone_tx.encode(pcm_in, &mut payload).unwrap();
        let n = if lost {
            self.sbc_rx.conceal(None, &mut pcm).unwrap()
        } else {
            self.sbc_rx.decode(&payload[..len], &mut pcm).unwrap()
        };
        let m = self.resampler.process(&pcm[..n], &mut resampled).unwrap();
        let len = self.sbc_tx.encode(&resampled[..m], &mut payload).unwrap();
        self.phone_rx.decode(&payload[..len], pcm_out).unwrap()
    }
}

/// Run `freqs` from `from` to `to`; return the receiver's second second.
fn transcode_tone(from: CodecKind, to: CodecKind, freqs: &[f64], amp: f64) -> Vec<i16> {
    let mut chain = Transcode::new(from, to);
    let mut input = vec![0i16; from.sample_rate().samples(FRAME)];
    let mut out = vec![0i16; MAX_FRAME_SAMPLES];
    let mut heard = Vec::new();
    for i in 0..FRAMES {
        tone_frame(freqs, amp, from.sample_rate(), i, &mut input);
        let n = chain.frame(&input, false, &mut out);
        assert_eq!(n, to.sample_rate().samples(FRAME), "{from:?}->{to:?}");
        if i >= FRAMES / 2 {
            heard.extend_from_slice(&out[..n]);
        }
    }
    heard
}

fn check_tones(
    label: &str,
    heard: &[i16],
    rate: SampleRate,
    freqs: &[f64],
    amp: f64,
    min_snr: f64,
) {
    for &f in freqs {
        let got = tone_amplitude(heard, f, rate.hz());
        assert!(
            (got / amp - 1.0).abs() < 0.2,
            "{label}: {f} Hz at {got:.0}, sent {amp:.0}"
        );
    }
    let snr = tone_snr_db(heard, freqs, rate.hz());
    assert!(snr > min_snr, "{label}: SNR {snr:.1} dB");
}

#[test]
fn every_codec_pair_keeps_a_tone() {
    for from in KINDS {
        for to in KINDS {
            let heard = transcode_tone(from, to, &[1020.0], 8000.0);
            let label = format!("{from:?}->{to:?} 1020 Hz");
            check_tones(&label, &heard, to.sample_rate(), &[1020.0], 8000.0, 25.0);
        }
    }
}

#[test]
fn every_codec_pair_keeps_a_two_tone_mix() {
    let freqs = [700.0, 1900.0];
    for from in KINDS {
        for to in KINDS {
            let heard = transcode_tone(from, to, &freqs, 5000.0);
            let label = format!("{from:?}->{to:?} 700+1900 Hz");
            check_tones(&label, &heard, to.sample_rate(), &freqs, 5000.0, 18.0);
        }
    }
}

#[test]
fn wideband_survives_between_wideband_codecs() {
    // 5 kHz exists only at 16 and 48 kHz: G.722 <-> Opus keeps it.
    for (from, to) in [
        (CodecKind::G722, CodecKind::Opus),
        (CodecKind::Opus, CodecKind::G722),
    ] {
        let heard = transcode_tone(from, to, &[5000.0], 8000.0);
        let label = format!("{from:?}->{to:?} 5 kHz");
        check_tones(&label, &heard, to.sample_rate(), &[5000.0], 8000.0, 15.0);
    }
}

/// One leg of a mixed call as the SBC sees it.
struct MixLeg {
    phone: AudioCodec,
    sbc: AudioCodec,
    up: Resampler,
    down: Resampler,
    freq: f64,
}

#[test]
fn four_codecs_mixed_each_leg_hears_the_others() {
    const MIX: SampleRate = SampleRate::Hz48000;
    const MIX_N: usize = 960;
    let freqs = [500.0, 900.0, 1300.0, 1700.0];
    let amp = 4000.0;
    let mut legs: Vec<MixLeg> = KINDS
        .iter()
        .zip(freqs)
        .map(|(&kind, freq)| MixLeg {
            phone: codec(kind),
            sbc: codec(kind),
            up: Resampler::new(kind.sample_rate(), MIX),
            down: Resampler::new(MIX, kind.sample_rate()),
            freq,
        })
        .collect();
    let mut heard: Vec<Vec<i16>> = vec![Vec::new(); legs.len()];
    let mut decoded = vec![[0i32; MIX_N]; legs.len()];
    for i in 0..FRAMES {
        // Each phone sends its tone; the SBC decodes it to the 48 kHz mix rate.
        for (leg, dec) in legs.iter_mut().zip(decoded.iter_mut()) {
            let rate = leg.phone.sample_rate();
            let mut pcm = vec![0i16; rate.samples(FRAME)];
            tone_frame(&[leg.freq], amp, rate, i, &mut pcm);
            let mut payload = [0u8; MAX_PAYLOAD_BYTES];
            let len = leg.phone.encode(&pcm, &mut payload).unwrap();
            let mut buf = [0i16; MAX_FRAME_SAMPLES];
            let n = leg.sbc.decode(&payload[..len], &mut buf).unwrap();
            let mut up = [0i16; MIX_N];
            assert_eq!(leg.up.process(&buf[..n], &mut up), Ok(MIX_N));
            for (d, &s) in dec.iter_mut().zip(&up) {
                *d = i32::from(s);
            }
        }
        // Each leg gets everyone but itself (N-1 mix), encoded in its own codec.
        for (me, leg) in legs.iter_mut().enumerate() {
            let mut mix = [0i16; MIX_N];
            for (j, m) in mix.iter_mut().enumerate() {
                let sum: i32 = decoded
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| k != me)
                    .map(|(_, d)| d[j])
                    .sum();
                *m = sum.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
            }
            let mut down = [0i16; MAX_FRAME_SAMPLES];
            let n = leg.down.process(&mix, &mut down).unwrap();
            let mut payload = [0u8; MAX_PAYLOAD_BYTES];
            let len = leg.sbc.encode(&down[..n], &mut payload).unwrap();
            let mut out = [0i16; MAX_FRAME_SAMPLES];
            let n = leg.phone.decode(&payload[..len], &mut out).unwrap();
            if i >= FRAMES / 2 {
                heard[me].extend_from_slice(&out[..n]);
            }
        }
    }
    for (me, leg) in legs.iter().enumerate() {
        let rate = leg.phone.sample_rate();
        let others: Vec<f64> = freqs.iter().copied().filter(|&f| f != leg.freq).collect();
        let label = format!("{:?} leg", leg.phone.kind());
        check_tones(&label, &heard[me], rate, &others, amp, 25.0);
        let own = tone_amplitude(&heard[me], leg.freq, rate.hz());
        assert!(own < amp / 100.0, "{label} hears itself: {own:.0}");
    }
}

#[test]
fn per_frame_path_allocates_nothing() {
    let mut chains: Vec<Transcode> = KINDS
        .iter()
        .flat_map(|&a| KINDS.iter().map(move |&b| Transcode::new(a, b)))
        .collect();
    let mut input = [0i16; MAX_FRAME_SAMPLES];
    let mut out = [0i16; MAX_FRAME_SAMPLES];
    let mut run = |frames: std::ops::Range<usize>, chains: &mut Vec<Transcode>| {
        for i in frames {
            for c in chains.iter_mut() {
                let rate = c.phone_tx.sample_rate();
                let pcm = &mut input[..rate.samples(FRAME)];
                tone_frame(&[700.0, 1900.0], 5000.0, rate, i, pcm);
                // Every 7th frame is lost on the first hop: concealment too.
                c.frame(pcm, i % 7 == 3, &mut out);
            }
        }
    };
    run(0..10, &mut chains);
    COUNTING.with(|c| c.set(true));
    // The counter itself works: a deliberate allocation is seen.
    let before = ALLOCS.load(Relaxed);
    drop(std::hint::black_box(Box::new(0u64)));
    assert_eq!(
        ALLOCS.load(Relaxed) - before,
        1,
        "the counter sees allocations"
    );
    let before = ALLOCS.load(Relaxed);
    run(10..60, &mut chains);
    let allocs = ALLOCS.load(Relaxed) - before;
    COUNTING.with(|c| c.set(false));
    assert_eq!(allocs, 0, "allocations on the per-frame path");
}
