//! G.711 against the classic Sun reference. The FNV-1a hashes were computed once
//! from Python's `audioop` (itself the Sun code) over every 16-bit sample and every
//! code, so these tests pin bit-exactness without shipping a 64k-entry vector.

use super::*;

fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn every_sample() -> impl Iterator<Item = i16> {
    i16::MIN..=i16::MAX
}

fn decode_table_bytes(decode: fn(u8) -> i16) -> Vec<u8> {
    (0..=255u8).flat_map(|c| decode(c).to_le_bytes()).collect()
}

#[test]
fn encoders_match_reference_for_every_sample() {
    assert_eq!(
        fnv1a(every_sample().map(ulaw_encode)),
        0xd5ee_23f7_d0ff_ae91
    );
    assert_eq!(
        fnv1a(every_sample().map(alaw_encode)),
        0xf030_666e_b780_cf25
    );
}

#[test]
fn decoders_match_reference_for_every_code() {
    assert_eq!(
        fnv1a(decode_table_bytes(ulaw_decode)),
        0xb91e_65d6_8481_a1a8
    );
    assert_eq!(
        fnv1a(decode_table_bytes(alaw_decode)),
        0x693a_40ca_62a3_d2a5
    );
}

#[test]
fn reference_sample_values() {
    // (sample, µ-law, A-law) from the reference.
    let cases: [(i16, u8, u8); 13] = [
        (0, 0xFF, 0xD5),
        (-1, 0x7E, 0x55),
        (1, 0xFF, 0xD5),
        (-4, 0x7E, 0x55),
        (4, 0xFE, 0xD5),
        (100, 0xF2, 0xD3),
        (-100, 0x72, 0x53),
        (1000, 0xCE, 0xFA),
        (-1000, 0x4E, 0x7A),
        (32767, 0x80, 0xAA),
        (-32768, 0x00, 0x2A),
        (32124, 0x80, 0xAA),
        (-32124, 0x00, 0x2A),
    ];
    for (sample, mu, a) in cases {
        assert_eq!(ulaw_encode(sample), mu, "µ-law of {sample}");
        assert_eq!(alaw_encode(sample), a, "A-law of {sample}");
    }
    assert_eq!(ulaw_decode(0x00), -32124);
    assert_eq!(ulaw_decode(0x80), 32124);
    assert_eq!(ulaw_decode(0xFF), 0);
    assert_eq!(ulaw_decode(0x7F), 0);
    assert_eq!(ulaw_decode(0x0F), -16764);
    assert_eq!(ulaw_decode(0x70), -120);
    assert_eq!(alaw_decode(0xD5), 8);
    assert_eq!(alaw_decode(0x55), -8);
    assert_eq!(alaw_decode(0xAA), 32256);
    assert_eq!(alaw_decode(0x2A), -32256);
    assert_eq!(alaw_decode(0x00), -5504);
    assert_eq!(alaw_decode(0x80), 5504);
}

#[test]
fn every_code_round_trips() {
    for code in 0..=255u8 {
        // µ-law has two zeros; the encoder always picks positive zero (0xFF).
        let mu_back = if code == 0x7F { 0xFF } else { code };
        assert_eq!(ulaw_encode(ulaw_decode(code)), mu_back, "µ-law {code:#04x}");
        assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
    }
}

#[test]
fn quantization_error_is_bounded_by_segment_step() {
    for s in every_sample().filter(|s| s.unsigned_abs() < 32_000) {
        let x = i32::from(s);
        let bound = x.abs() / 16 + 16;
        let mu = i32::from(ulaw_decode(ulaw_encode(s)));
        let a = i32::from(alaw_decode(alaw_encode(s)));
        assert!((x - mu).abs() <= bound, "µ-law {s} -> {mu}");
        assert!((x - a).abs() <= bound, "A-law {s} -> {a}");
    }
}

type Encode = fn(i16) -> u8;
type Decode = fn(u8) -> i16;

#[test]
fn slice_paths_match_scalar_functions() {
    let pcm: Vec<i16> = (0..160).map(|i| (i * 409 - 32_000) as i16).collect();
    for law in [G711Law::Mu, G711Law::A] {
        let mut codes = [0u8; 160];
        law.encode_into(&pcm, &mut codes);
        let mut back = [0i16; 160];
        law.decode_into(&codes, &mut back);
        for ((&s, &c), &b) in pcm.iter().zip(&codes).zip(&back) {
            let (enc, dec): (Encode, Decode) = match law {
                G711Law::Mu => (ulaw_encode, ulaw_decode),
                G711Law::A => (alaw_encode, alaw_decode),
            };
            assert_eq!(c, enc(s));
            assert_eq!(b, dec(c));
        }
    }
}
