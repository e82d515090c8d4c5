//! G.711 µ-law and A-law (ITU-T G.711), table-driven and bit-exact with the classic
//! Sun Microsystems reference `g711.c` (the code behind most VoIP stacks and
//! Python's `audioop`).
//!
//! The tables are computed at compile time from the reference algorithm: 256-entry
//! decode tables and encode tables indexed by the top 14 (µ-law) or 13 (A-law)
//! bits of the sample, which is all the reference encoder looks at.

/// Reference segment ends of the µ-law encoder (biased 14-bit magnitudes).
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// Reference segment ends of the A-law encoder (13-bit magnitudes).
const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
/// µ-law bias (33 in 14-bit units, 0x84 in 16-bit units).
const BIAS: i32 = 0x84;
/// Largest 14-bit magnitude before µ-law clipping.
const CLIP: i32 = 8159;

/// First segment whose end is at or above `val`, 8 when above all (reference `search`).
const fn segment(val: i32, ends: &[i32; 8]) -> i32 {
    let mut i = 0;
    while i < 8 {
        if val <= ends[i] {
            return i as i32;
        }
        i += 1;
    }
    8
}

/// Reference `linear2ulaw`, for a 16-bit sample.
const fn ref_linear_to_ulaw(sample: i16) -> u8 {
    let mut pcm = (sample as i32) >> 2;
    let mask = if pcm < 0 {
        pcm = -pcm;
        0x7F
    } else {
        0xFF
    };
    if pcm > CLIP {
        pcm = CLIP;
    }
    pcm += BIAS >> 2;
    let seg = segment(pcm, &SEG_UEND);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let uval = (seg << 4) | ((pcm >> (seg + 1)) & 0xF);
    (uval ^ mask) as u8
}

/// Reference `ulaw2linear`.
const fn ref_ulaw_to_linear(code: u8) -> i16 {
    let u = !code as i32;
    let mut t = ((u & 0x0F) << 3) + BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 { BIAS - t } else { t - BIAS }) as i16
}

/// Reference `linear2alaw`, for a 16-bit sample.
const fn ref_linear_to_alaw(sample: i16) -> u8 {
    let mut pcm = (sample as i32) >> 3;
    let mask = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let seg = segment(pcm, &SEG_AEND);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut aval = seg << 4;
    aval |= if seg < 2 {
        (pcm >> 1) & 0x0F
    } else {
        (pcm >> seg) & 0x0F
    };
    (aval ^ mask) as u8
}

/// Reference `alaw2linear`.
const fn ref_alaw_to_linear(code: u8) -> i16 {
    let a = (code ^ 0x55) as i32;
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const fn build_decode(alaw: bool) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = if alaw {
            ref_alaw_to_linear(i as u8)
        } else {
            ref_ulaw_to_linear(i as u8)
        };
        i += 1;
    }
    table
}

/// Encode table indexed by `sample >> SHIFT` taken as an unsigned `16 - SHIFT`-bit
/// number; the reference encoder ignores the low `SHIFT` bits, so this is exact.
const fn build_encode<const N: usize, const SHIFT: u32>(alaw: bool) -> [u8; N] {
    let mut table = [0u8; N];
    let mut i = 0;
    while i < N {
        // Entry i stands for the samples whose top bits are i (two's complement).
        let sample = ((i as u32) << SHIFT) as u16 as i16;
        table[i] = if alaw {
            ref_linear_to_alaw(sample)
        } else {
            ref_linear_to_ulaw(sample)
        };
        i += 1;
    }
    table
}

static ULAW_DECODE: [i16; 256] = build_decode(false);
static ALAW_DECODE: [i16; 256] = build_decode(true);
static ULAW_ENCODE: [u8; 1 << 14] = build_encode::<{ 1 << 14 }, 2>(false);
static ALAW_ENCODE: [u8; 1 << 13] = build_encode::<{ 1 << 13 }, 3>(true);

/// Which companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum G711Law {
    /// µ-law (North America, Japan): PCMU.
    Mu,
    /// A-law (everywhere else): PCMA.
    A,
}

/// µ-law code of a 16-bit sample.
#[inline]
pub fn ulaw_encode(sample: i16) -> u8 {
    // A 14-bit index always lies inside the 2^14-entry table.
    ULAW_ENCODE[((sample as u16) >> 2) as usize]
}

/// 16-bit sample of a µ-law code.
#[inline]
pub fn ulaw_decode(code: u8) -> i16 {
    ULAW_DECODE[code as usize]
}

/// A-law code of a 16-bit sample.
#[inline]
pub fn alaw_encode(sample: i16) -> u8 {
    ALAW_ENCODE[((sample as u16) >> 3) as usize]
}

/// 16-bit sample of an A-law code.
#[inline]
pub fn alaw_decode(code: u8) -> i16 {
    ALAW_DECODE[code as usize]
}

impl G711Law {
    /// Decode `codes` into the first `codes.len()` samples of `pcm` (the caller
    /// has checked the length).
    pub(crate) fn decode_into(self, codes: &[u8], pcm: &mut [i16]) {
        let table = match self {
            G711Law::Mu => &ULAW_DECODE,
            G711Law::A => &ALAW_DECODE,
        };
        for (out, &code) in pcm.iter_mut().zip(codes) {
            *out = table[code as usize];
        }
    }

    /// Encode `pcm` into the first `pcm.len()` bytes of `codes`.
    pub(crate) fn encode_into(self, pcm: &[i16], codes: &mut [u8]) {
        match self {
            G711Law::Mu => {
                for (out, &s) in codes.iter_mut().zip(pcm) {
                    *out = ulaw_encode(s);
                }
            }
            G711Law::A => {
                for (out, &s) in codes.iter_mut().zip(pcm) {
                    *out = alaw_encode(s);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "g711_tests.rs"]
mod tests;
