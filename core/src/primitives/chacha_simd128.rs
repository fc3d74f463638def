//! ChaCha20-Poly1305 (RFC 8439) for wasm32 with the `simd128` target feature: the blob
//! segment AEAD's wasm backend.
//!
//! RustCrypto's `chacha20` has no wasm SIMD code, so in a browser it runs one block at a time
//! on scalar registers. Here ChaCha20 computes four blocks at once, one 32-bit state word of
//! the four blocks per `v128` ("vertical" layout: every lane runs the same quarter rounds), and
//! Poly1305 is the 26-bit-limb form (products of 32-bit limbs in 64-bit registers, which wasm
//! multiplies natively), taking two blocks per step with `r^2` so that the two halves of the
//! work are independent.
//!
//! Only safe `core::arch::wasm32` intrinsics are used (the workspace forbids `unsafe`): bytes
//! enter and leave the vectors as little-endian 64-bit words. `tests/` of `sync-wasm` prove it
//! equal to RustCrypto on the Wycheproof ChaCha20-Poly1305 vectors and on random round trips,
//! under wasm.

use core::arch::wasm32::{
    i8x16_shuffle, i32x4_add, i32x4_shl, i32x4_shuffle, i64x2_shuffle, u32x4, u32x4_shr, u32x4_splat,
    u64x2_extract_lane, v128, v128_or, v128_xor,
};

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

/// Length of a Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// Longest message one nonce may encrypt: the 32-bit block counter starts at 1.
const MAX_MESSAGE_LEN: u64 = (u32::MAX as u64) * 64;

/// "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// A ChaCha20-Poly1305 key. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ChaCha20Poly1305 {
    key: [u32; 8],
}

impl std::fmt::Debug for ChaCha20Poly1305 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChaCha20Poly1305Simd128(<redacted>)")
    }
}

fn le32(bytes: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*bytes)
}

fn words<const N: usize>(bytes: &[u8]) -> [u32; N] {
    let mut out = [0u32; N];
    let (chunks, _) = bytes.as_chunks::<4>();
    for (word, chunk) in out.iter_mut().zip(chunks) {
        *word = le32(chunk);
    }
    out
}

impl ChaCha20Poly1305 {
    /// Keys the AEAD.
    pub fn new(key: &[u8; 32]) -> ChaCha20Poly1305 {
        ChaCha20Poly1305 { key: words::<8>(key) }
    }

    /// The Poly1305 key (first 32 bytes of block 0) and the nonce words.
    fn poly_key(&self, nonce: &[u8; 12]) -> (Poly1305, [u32; 3]) {
        let nonce = words::<3>(nonce);
        let mut block0 = [0u8; 256];
        xor_256(&mut block0, &blocks_4(&self.key, &nonce, 0));
        let mut otk = [0u8; 32];
        otk.copy_from_slice(&block0[..32]);
        let poly = Poly1305::new(&otk);
        block0.zeroize();
        otk.zeroize();
        (poly, nonce)
    }

    /// Encrypts `buf` in place and returns the tag over `aad` and the ciphertext.
    pub fn seal_in_place(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8]) -> Result<[u8; TAG_LEN]> {
        if buf.len() as u64 > MAX_MESSAGE_LEN {
            return Err(Error::TooLarge("ChaCha20-Poly1305 message"));
        }
        let (mut poly, nonce) = self.poly_key(nonce);
        xor_keystream(&self.key, &nonce, 1, buf);
        poly.update_padded(aad);
        poly.update_padded(buf);
        Ok(poly.finish(aad.len(), buf.len()))
    }

    /// Checks `tag` over `aad` and the ciphertext in `buf` (constant time), and only then
    /// decrypts `buf` in place. On failure `buf` is left as it was (ciphertext) and `false` is
    /// returned.
    #[must_use]
    pub fn open_in_place(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        if buf.len() as u64 > MAX_MESSAGE_LEN {
            return false;
        }
        let (mut poly, nonce) = self.poly_key(nonce);
        poly.update_padded(aad);
        poly.update_padded(buf);
        let expected = poly.finish(aad.len(), buf.len());
        if !bool::from(expected.ct_eq(tag)) {
            return false;
        }
        xor_keystream(&self.key, &nonce, 1, buf);
        true
    }
}

// ---------------------------------------------------------------------------------------------
// ChaCha20, four blocks per step.

#[inline(always)]
fn rotl16(v: v128) -> v128 {
    i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(v, v)
}

#[inline(always)]
fn rotl8(v: v128) -> v128 {
    i8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(v, v)
}

#[inline(always)]
fn rotl12(v: v128) -> v128 {
    v128_or(i32x4_shl(v, 12), u32x4_shr(v, 20))
}

#[inline(always)]
fn rotl7(v: v128) -> v128 {
    v128_or(i32x4_shl(v, 7), u32x4_shr(v, 25))
}

#[inline(always)]
fn quarter(x: &mut [v128; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = i32x4_add(x[a], x[b]);
    x[d] = rotl16(v128_xor(x[d], x[a]));
    x[c] = i32x4_add(x[c], x[d]);
    x[b] = rotl12(v128_xor(x[b], x[c]));
    x[a] = i32x4_add(x[a], x[b]);
    x[d] = rotl8(v128_xor(x[d], x[a]));
    x[c] = i32x4_add(x[c], x[d]);
    x[b] = rotl7(v128_xor(x[b], x[c]));
}

/// The 4x4 transpose: `(a, b, c, d)` hold one word of four blocks each; the result holds four
/// consecutive words of one block each.
#[inline(always)]
fn transpose(a: v128, b: v128, c: v128, d: v128) -> [v128; 4] {
    let ab_lo = i32x4_shuffle::<0, 4, 1, 5>(a, b);
    let cd_lo = i32x4_shuffle::<0, 4, 1, 5>(c, d);
    let ab_hi = i32x4_shuffle::<2, 6, 3, 7>(a, b);
    let cd_hi = i32x4_shuffle::<2, 6, 3, 7>(c, d);
    [
        i64x2_shuffle::<0, 2>(ab_lo, cd_lo),
        i64x2_shuffle::<1, 3>(ab_lo, cd_lo),
        i64x2_shuffle::<0, 2>(ab_hi, cd_hi),
        i64x2_shuffle::<1, 3>(ab_hi, cd_hi),
    ]
}

/// Blocks `counter .. counter + 4` of the keystream, as 16 vectors: vector `4 * j + r` is
/// bytes `16 * r .. 16 * r + 16` of block `j`.
#[inline(always)]
fn blocks_4(key: &[u32; 8], nonce: &[u32; 3], counter: u32) -> [v128; 16] {
    let c = counter;
    let init: [v128; 16] = [
        u32x4_splat(SIGMA[0]),
        u32x4_splat(SIGMA[1]),
        u32x4_splat(SIGMA[2]),
        u32x4_splat(SIGMA[3]),
        u32x4_splat(key[0]),
        u32x4_splat(key[1]),
        u32x4_splat(key[2]),
        u32x4_splat(key[3]),
        u32x4_splat(key[4]),
        u32x4_splat(key[5]),
        u32x4_splat(key[6]),
        u32x4_splat(key[7]),
        u32x4(c, c.wrapping_add(1), c.wrapping_add(2), c.wrapping_add(3)),
        u32x4_splat(nonce[0]),
        u32x4_splat(nonce[1]),
        u32x4_splat(nonce[2]),
    ];
    let mut x = init;
    for _ in 0..10 {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    for (word, start) in x.iter_mut().zip(init) {
        *word = i32x4_add(*word, start);
    }
    let rows = [
        transpose(x[0], x[1], x[2], x[3]),
        transpose(x[4], x[5], x[6], x[7]),
        transpose(x[8], x[9], x[10], x[11]),
        transpose(x[12], x[13], x[14], x[15]),
    ];
    let mut out = [x[0]; 16];
    for (r, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            out[4 * j + r] = *v;
        }
    }
    out
}

/// XORs 16 bytes with a keystream vector.
#[inline(always)]
fn xor16(bytes: &mut [u8; 16], ks: v128) {
    let (halves, _) = bytes.as_chunks_mut::<8>();
    if let [lo, hi] = halves {
        *lo = (u64::from_le_bytes(*lo) ^ u64x2_extract_lane::<0>(ks)).to_le_bytes();
        *hi = (u64::from_le_bytes(*hi) ^ u64x2_extract_lane::<1>(ks)).to_le_bytes();
    }
}

/// XORs a 256-byte chunk with four blocks of keystream.
#[inline(always)]
fn xor_256(chunk: &mut [u8; 256], keystream: &[v128; 16]) {
    let (pieces, _) = chunk.as_chunks_mut::<16>();
    for (piece, v) in pieces.iter_mut().zip(keystream) {
        xor16(piece, *v);
    }
}

/// XORs a tail shorter than 256 bytes with the keystream from block `counter`.
fn xor_tail(key: &[u32; 8], nonce: &[u32; 3], counter: u32, tail: &mut [u8]) {
    if tail.is_empty() {
        return;
    }
    let mut block = [0u8; 256];
    xor_256(&mut block, &blocks_4(key, nonce, counter));
    for (b, k) in tail.iter_mut().zip(block.iter()) {
        *b ^= k;
    }
    block.zeroize();
}

/// XORs `buf` with the keystream starting at block `counter`.
fn xor_keystream(key: &[u32; 8], nonce: &[u32; 3], mut counter: u32, buf: &mut [u8]) {
    let (chunks, tail) = buf.as_chunks_mut::<256>();
    for chunk in chunks {
        xor_256(chunk, &blocks_4(key, nonce, counter));
        counter = counter.wrapping_add(4);
    }
    xor_tail(key, nonce, counter, tail);
}

// ---------------------------------------------------------------------------------------------
// Poly1305, 26-bit limbs.

const M26: u64 = 0x3ff_ffff;

/// Poly1305 for the AEAD: every block is a full 16-byte block (the AEAD pads with zeros).
struct Poly1305 {
    r: [u64; 5],
    /// `r^2`, for two blocks per step.
    rr: [u64; 5],
    h: [u64; 5],
    pad: [u32; 4],
}

impl Drop for Poly1305 {
    fn drop(&mut self) {
        self.r.zeroize();
        self.rr.zeroize();
        self.h.zeroize();
        self.pad.zeroize();
    }
}

/// `h * r mod 2^130 - 5`, limbs below 2^26 (h may be a little larger, up to about 2^27).
#[inline(always)]
fn mul(h: &[u64; 5], r: &[u64; 5]) -> [u64; 5] {
    let [r0, r1, r2, r3, r4] = *r;
    let (s1, s2, s3, s4) = (r1 * 5, r2 * 5, r3 * 5, r4 * 5);
    let [h0, h1, h2, h3, h4] = *h;
    let d0 = h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
    let d1 = h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
    carry([d0, d1, d2, d3, d4])
}

/// Partial carry: limbs back below about 2^26.
#[inline(always)]
fn carry(d: [u64; 5]) -> [u64; 5] {
    let [mut d0, mut d1, mut d2, mut d3, mut d4] = d;
    d1 += d0 >> 26;
    d0 &= M26;
    d2 += d1 >> 26;
    d1 &= M26;
    d3 += d2 >> 26;
    d2 &= M26;
    d4 += d3 >> 26;
    d3 &= M26;
    d0 += (d4 >> 26) * 5;
    d4 &= M26;
    d1 += d0 >> 26;
    d0 &= M26;
    [d0, d1, d2, d3, d4]
}

/// The limbs of a 16-byte block with the 2^128 bit.
#[inline(always)]
fn limbs(block: &[u8; 16]) -> [u64; 5] {
    let (halves, _) = block.as_chunks::<8>();
    let (lo, hi) = match halves {
        [lo, hi] => (u64::from_le_bytes(*lo), u64::from_le_bytes(*hi)),
        _ => (0, 0),
    };
    [lo & M26, (lo >> 26) & M26, ((lo >> 52) | (hi << 12)) & M26, (hi >> 14) & M26, (hi >> 40) | (1 << 24)]
}

impl Poly1305 {
    fn new(key: &[u8; 32]) -> Poly1305 {
        let w = words::<8>(key);
        let (t0, t1, t2, t3) = (u64::from(w[0]), u64::from(w[1]), u64::from(w[2]), u64::from(w[3]));
        // r &= 0x0ffffffc0ffffffc0ffffffc0fffffff, as 26-bit limbs.
        let r = [
            t0 & 0x3ff_ffff,
            ((t0 >> 26) | (t1 << 6)) & 0x3ff_ff03,
            ((t1 >> 20) | (t2 << 12)) & 0x3ff_c0ff,
            ((t2 >> 14) | (t3 << 18)) & 0x3f0_3fff,
            (t3 >> 8) & 0x00f_ffff,
        ];
        let rr = mul(&r, &r);
        Poly1305 { r, rr, h: [0; 5], pad: [w[4], w[5], w[6], w[7]] }
    }

    /// Two blocks: `h = (h + a) * r^2 + b * r`, the two products independent.
    #[inline(always)]
    fn pair(&self, h: [u64; 5], a: &[u8; 16], b: &[u8; 16]) -> [u64; 5] {
        let ma = limbs(a);
        let mb = limbs(b);
        let ha = [h[0] + ma[0], h[1] + ma[1], h[2] + ma[2], h[3] + ma[3], h[4] + ma[4]];
        let x = mul_nocarry(&ha, &self.rr);
        let y = mul_nocarry(&mb, &self.r);
        carry([x[0] + y[0], x[1] + y[1], x[2] + y[2], x[3] + y[3], x[4] + y[4]])
    }

    /// Absorbs `data` zero-padded to a multiple of 16 bytes.
    fn update_padded(&mut self, data: &[u8]) {
        let (blocks, tail) = data.as_chunks::<16>();
        let (pairs, single) = blocks.as_chunks::<2>();
        let mut h = self.h;
        for [a, b] in pairs {
            h = self.pair(h, a, b);
        }
        for block in single {
            h = self.block(h, block);
        }
        if !tail.is_empty() {
            let mut last = [0u8; 16];
            last[..tail.len()].copy_from_slice(tail);
            h = self.block(h, &last);
        }
        self.h = h;
    }

    #[inline(always)]
    fn block(&self, h: [u64; 5], block: &[u8; 16]) -> [u64; 5] {
        let m = limbs(block);
        mul(&[h[0] + m[0], h[1] + m[1], h[2] + m[2], h[3] + m[3], h[4] + m[4]], &self.r)
    }

    /// Absorbs the two lengths and returns the tag.
    fn finish(mut self, aad_len: usize, text_len: usize) -> [u8; TAG_LEN] {
        let mut lengths = [0u8; 16];
        lengths[..8].copy_from_slice(&(aad_len as u64).to_le_bytes());
        lengths[8..].copy_from_slice(&(text_len as u64).to_le_bytes());
        self.h = self.block(self.h, &lengths);

        // Full carry, then h mod 2^130 - 5.
        let [mut h0, mut h1, mut h2, mut h3, mut h4] = self.h;
        h2 += h1 >> 26;
        h1 &= M26;
        h3 += h2 >> 26;
        h2 &= M26;
        h4 += h3 >> 26;
        h3 &= M26;
        h0 += (h4 >> 26) * 5;
        h4 &= M26;
        h1 += h0 >> 26;
        h0 &= M26;

        // g = h + 5 - 2^130; take g when it does not borrow (h >= p).
        let mut g0 = h0 + 5;
        let mut g1 = h1 + (g0 >> 26);
        g0 &= M26;
        let mut g2 = h2 + (g1 >> 26);
        g1 &= M26;
        let mut g3 = h3 + (g2 >> 26);
        g2 &= M26;
        let g4 = (h4 + (g3 >> 26)).wrapping_sub(1 << 26);
        g3 &= M26;
        // All ones when g4 did not borrow.
        let take_g = (g4 >> 63).wrapping_sub(1);
        let keep_h = !take_g;
        h0 = (h0 & keep_h) | (g0 & take_g);
        h1 = (h1 & keep_h) | (g1 & take_g);
        h2 = (h2 & keep_h) | (g2 & take_g);
        h3 = (h3 & keep_h) | (g3 & take_g);
        h4 = (h4 & keep_h) | (g4 & take_g & M26);

        // h to 128 bits, plus the pad, mod 2^128.
        let w0 = (h0 | (h1 << 26)) & 0xffff_ffff;
        let w1 = ((h1 >> 6) | (h2 << 20)) & 0xffff_ffff;
        let w2 = ((h2 >> 12) | (h3 << 14)) & 0xffff_ffff;
        let w3 = ((h3 >> 18) | (h4 << 8)) & 0xffff_ffff;
        let mut tag = [0u8; TAG_LEN];
        let mut f = 0u64;
        for (i, (w, p)) in [w0, w1, w2, w3].into_iter().zip(self.pad).enumerate() {
            f = w + u64::from(p) + (f >> 32);
            tag[4 * i..4 * i + 4].copy_from_slice(&(f as u32).to_le_bytes());
        }
        tag
    }
}

/// `h * r` without the carry (the caller adds two products first).
#[inline(always)]
fn mul_nocarry(h: &[u64; 5], r: &[u64; 5]) -> [u64; 5] {
    let [r0, r1, r2, r3, r4] = *r;
    let (s1, s2, s3, s4) = (r1 * 5, r2 * 5, r3 * 5, r4 * 5);
    let [h0, h1, h2, h3, h4] = *h;
    [
        h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1,
        h0 * r1 + h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2,
        h0 * r2 + h1 * r1 + h2 * r0 + h3 * s4 + h4 * s3,
        h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s4,
        h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0,
    ]
}
