//! G.711 µ-law and A-law for the test phone, written from the ITU-T G.711
//! segment tables (in the form of the classic Sun reference code) rather
//! than taken from `sbc_media`, so a shared mistake cannot hide itself: the
//! SBC's transcoder is checked against an encoder that is not its own.

/// µ-law bias on the 14-bit magnitude (G.711 table 2a: 0x84 on 16 bits).
const ULAW_BIAS: i32 = 0x21;
/// Largest 14-bit magnitude µ-law represents before the bias.
const ULAW_CLIP: i32 = 8159;

/// One 16-bit linear sample to µ-law. The sample is cut to 14 bits first
/// and a negative one negated after the cut (the Sun reference's
/// convention, which the SBC's transcoder follows too).
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut x = i32::from(sample) >> 2;
    let sign = if x < 0 { 0x80 } else { 0 };
    x = x.abs().min(ULAW_CLIP) + ULAW_BIAS;
    // Segment s holds biased magnitudes below 0x40 << s.
    let Some(segment) = (0..8).find(|&s| x < 0x40 << s) else {
        return !(sign | 0x7F) as u8;
    };
    let mantissa = (x >> (segment + 1)) & 0x0F;
    !(sign | (segment << 4) | mantissa) as u8
}

/// One µ-law octet to a 16-bit linear sample.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let code = !code;
    let exponent = (code >> 4) & 0x07;
    let mantissa = i32::from(code & 0x0F);
    // Decoding works on 16 bits: the bias there is 4 x 0x21.
    let magnitude = (((mantissa << 3) + 4 * ULAW_BIAS) << exponent) - 4 * ULAW_BIAS;
    // At most 32124, so the cast cannot truncate.
    if code & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Upper ends of the A-law segments on the 13-bit magnitude.
const ALAW_SEGMENT_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// One 16-bit linear sample to A-law (even bits inverted, G.711 §3).
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut x = i32::from(sample) >> 3;
    let mask = if x >= 0 {
        0xD5
    } else {
        x = -x - 1;
        0x55
    };
    let Some(segment) = ALAW_SEGMENT_END.iter().position(|&end| x <= end) else {
        return (0x7F ^ mask) as u8;
    };
    let shift = if segment < 2 { 1 } else { segment };
    let code = ((segment as i32) << 4) | ((x >> shift) & 0x0F);
    (code ^ mask) as u8
}

/// One A-law octet to a 16-bit linear sample.
pub fn alaw_to_linear(code: u8) -> i16 {
    let code = code ^ 0x55;
    let mut t = i32::from(code & 0x0F) << 4;
    let segment = (code & 0x70) >> 4;
    match segment {
        0 => t += 8,
        1 => t += 0x108,
        s => t = (t + 0x108) << (s - 1),
    }
    // At most 32256, so the cast cannot truncate.
    if code & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

/// The two laws, for the phone's codec table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    Mu,
    A,
}

impl Law {
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        let f = match self {
            Law::Mu => linear_to_ulaw,
            Law::A => linear_to_alaw,
        };
        out.extend(pcm.iter().map(|&s| f(s)));
    }

    pub fn decode(self, payload: &[u8], out: &mut Vec<i16>) {
        let f = match self {
            Law::Mu => ulaw_to_linear,
            Law::A => alaw_to_linear,
        };
        out.extend(payload.iter().map(|&c| f(c)));
    }
}
