//! Argon2id (RFC 9106, version 0x13) for wasm32 with the `simd128` target feature: the KDF's
//! wasm backend.
//!
//! RustCrypto's `argon2` has SIMD code for x86 (AVX2) only, so in a browser its compression
//! function runs on scalar 64-bit registers. Here a 1 KiB block is 64 `v128`s, two 64-bit
//! words each, and the permutation `P` (BLAKE2b's round with BlaMka's multiplication) works
//! on two columns at once, as libargon2's SSE code does: the "diagonal" half of a round moves
//! words between vectors with `i64x2.shuffle`, the rotations by 32, 24 and 16 bits are byte
//! shuffles and the one by 63 is an add and a shift, and `2 * lo32(a) * lo32(b)` is one
//! `i64x2.extmul_low_i32x4_u` on the low halves of each lane.
//!
//! The rest is RFC 9106 as written, single-threaded (lanes are computed one after another,
//! segment by segment): `H0` and the variable-length hash `H'` with BLAKE2b (RustCrypto's
//! `blake2`), the data-independent addressing of the first half of pass 0 (Argon2id), the
//! reference-block mapping, and the final XOR of the lanes' last blocks through `H'`.
//!
//! The memory is one `Vec` of blocks, allocated with `try_reserve` (an allocation failure is an
//! error, not an abort) and zeroized when done, as are `H0` and every intermediate hash: all of
//! it is derived from the password.
//!
//! Only safe `core::arch::wasm32` intrinsics are used (the workspace forbids `unsafe`). `tests/`
//! of `sync-wasm` prove it equal to the RFC 9106 and libargon2 vectors and to the `argon2` crate
//! on random parameters, under wasm.

use core::arch::wasm32::{
    i8x16_shuffle, i32x4_shuffle, i64x2_add, i64x2_shuffle, u64x2, u64x2_extmul_high_u32x4, u64x2_extmul_low_u32x4,
    u64x2_extract_lane, u64x2_shr, u64x2_splat, v128, v128_or, v128_xor,
};

use blake2::digest::block_api::{UpdateCore, VariableOutputCore};
use blake2::digest::block_buffer::LazyBuffer;
use blake2::{Blake2b512, Blake2bVarCore, Digest};
use zeroize::{DefaultIsZeroes, Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::keys::params::MAX_M_KIB;

/// Slices per lane (RFC 9106 `SL`).
const SYNC_POINTS: usize = 4;
/// 64-bit words per block, and so pseudo-random values per address block.
const WORDS: usize = 128;
/// `v128`s per block.
const VECS: usize = 64;
/// Bytes per block.
const BLOCK_BYTES: usize = 1024;
/// Argon2 version 0x13.
const VERSION: u32 = 0x13;
/// Argon2 type `y` of Argon2id.
const ARGON2ID: u32 = 2;

/// A 1 KiB block: word `2i` in lane 0 of vector `i`, word `2i + 1` in lane 1.
#[derive(Clone, Copy)]
struct Block([v128; VECS]);

impl Default for Block {
    fn default() -> Block {
        Block([u64x2_splat(0); VECS])
    }
}

/// Zeroizing a block writes `Block::default()`, all zeros, with a volatile write.
impl DefaultIsZeroes for Block {}

impl Block {
    /// The block of 1024 little-endian bytes.
    fn from_bytes(bytes: &[u8; BLOCK_BYTES]) -> Block {
        let mut block = Block::default();
        let (pairs, _) = bytes.as_chunks::<16>();
        for (v, pair) in block.0.iter_mut().zip(pairs) {
            let (lo, hi) = pair.split_at(8);
            *v = u64x2(le64(lo), le64(hi));
        }
        block
    }

    /// The 128 words of the block.
    fn words(&self) -> [u64; WORDS] {
        let mut out = [0u64; WORDS];
        for (pair, v) in out.as_chunks_mut::<2>().0.iter_mut().zip(&self.0) {
            *pair = [u64x2_extract_lane::<0>(*v), u64x2_extract_lane::<1>(*v)];
        }
        out
    }

    /// Word 0 (the data-dependent addressing's pseudo-random value).
    fn first_word(&self) -> u64 {
        u64x2_extract_lane::<0>(self.0[0])
    }
}

fn le64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

// ---------------------------------------------------------------------------------------------
// The compression function G.

/// BlaMka, `x + y + 2 * lo32(x) * lo32(y)` in each 64-bit lane, on two pairs at once:
/// `(blamka(x0, y0), blamka(x1, y1))`.
///
/// One shuffle gathers the low halves of `x0` and `x1` (and one those of `y0` and `y1`), and
/// `i64x2.extmul_{low,high}_i32x4_u` multiply them (a `pmuludq` and two unpacks each in V8).
/// `zero` is a zero vector the compiler cannot see (it comes through `black_box`): OR-ing it
/// into the gathered halves stops LLVM from noticing that each product only involves low
/// halves, in which case it rewrites it as `(x & 0xffffffff) * (y & 0xffffffff)` and emits
/// `i64x2.mul`, which V8 lowers to three `pmuludq` and five more instructions on x86-64.
#[inline(always)]
fn blamka2(x0: v128, y0: v128, x1: v128, y1: v128, zero: v128) -> (v128, v128) {
    let x_lo = v128_or(i32x4_shuffle::<0, 2, 4, 6>(x0, x1), zero);
    let y_lo = v128_or(i32x4_shuffle::<0, 2, 4, 6>(y0, y1), zero);
    let p0 = u64x2_extmul_low_u32x4(x_lo, y_lo);
    let p1 = u64x2_extmul_high_u32x4(x_lo, y_lo);
    (i64x2_add(i64x2_add(x0, y0), i64x2_add(p0, p0)), i64x2_add(i64x2_add(x1, y1), i64x2_add(p1, p1)))
}

#[inline(always)]
fn rotr32(v: v128) -> v128 {
    i32x4_shuffle::<1, 0, 3, 2>(v, v)
}

#[inline(always)]
fn rotr24(v: v128) -> v128 {
    i8x16_shuffle::<3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10>(v, v)
}

#[inline(always)]
fn rotr16(v: v128) -> v128 {
    i8x16_shuffle::<2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9>(v, v)
}

#[inline(always)]
fn rotr63(v: v128) -> v128 {
    v128_xor(i64x2_add(v, v), u64x2_shr(v, 63))
}

/// The four quarter-rounds `GB` on two pairs of columns: `(a0, b0, c0, d0)` hold words
/// `(0, 1), (4, 5), (8, 9), (12, 13)` of the 16 and `(a1, b1, c1, d1)` words `(2, 3), (6, 7),
/// (10, 11), (14, 15)`.
#[inline(always)]
fn quarter_rounds(v: &mut [v128; 8], m: v128) {
    let [a0, a1, b0, b1, c0, c1, d0, d1] = v;
    (*a0, *a1) = blamka2(*a0, *b0, *a1, *b1, m);
    *d0 = rotr32(v128_xor(*d0, *a0));
    *d1 = rotr32(v128_xor(*d1, *a1));
    (*c0, *c1) = blamka2(*c0, *d0, *c1, *d1, m);
    *b0 = rotr24(v128_xor(*b0, *c0));
    *b1 = rotr24(v128_xor(*b1, *c1));

    (*a0, *a1) = blamka2(*a0, *b0, *a1, *b1, m);
    *d0 = rotr16(v128_xor(*d0, *a0));
    *d1 = rotr16(v128_xor(*d1, *a1));
    (*c0, *c1) = blamka2(*c0, *d0, *c1, *d1, m);
    *b0 = rotr63(v128_xor(*b0, *c0));
    *b1 = rotr63(v128_xor(*b1, *c1));
}

/// Argon2's `P` on 16 words held as `(a0, a1, b0, b1, c0, c1, d0, d1)`, two words each: the
/// column step, then the diagonal step on the vectors rotated so that each diagonal is a
/// column, and back.
#[inline(always)]
fn permute(v: [v128; 8], m: v128) -> [v128; 8] {
    let mut v = v;
    quarter_rounds(&mut v, m);
    let [a0, a1, b0, b1, c0, c1, d0, d1] = v;
    // Diagonals (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14).
    let mut w = [
        a0,
        a1,
        i64x2_shuffle::<1, 2>(b0, b1),
        i64x2_shuffle::<1, 2>(b1, b0),
        c1,
        c0,
        i64x2_shuffle::<1, 2>(d1, d0),
        i64x2_shuffle::<1, 2>(d0, d1),
    ];
    quarter_rounds(&mut w, m);
    let [a0, a1, b0, b1, c0, c1, d0, d1] = w;
    [
        a0,
        a1,
        i64x2_shuffle::<1, 2>(b1, b0),
        i64x2_shuffle::<1, 2>(b0, b1),
        c1,
        c0,
        i64x2_shuffle::<1, 2>(d0, d1),
        i64x2_shuffle::<1, 2>(d1, d0),
    ]
}

/// `P` on the eight rows (16 consecutive words each), then on the eight columns (words
/// `2i, 2i + 1, 2i + 16, 2i + 17, ..., 2i + 113`).
#[inline(always)]
fn permute_block(s: &mut [v128; VECS]) {
    let m = core::hint::black_box(u64x2_splat(0));
    for row in 0..8 {
        let base = 8 * row;
        let out = permute(core::array::from_fn(|k| s[base + k]), m);
        s[base..base + 8].copy_from_slice(&out);
    }
    for col in 0..8 {
        let out = permute(core::array::from_fn(|k| s[col + 8 * k]), m);
        for (k, v) in out.into_iter().enumerate() {
            s[col + 8 * k] = v;
        }
    }
}

/// `G(x, y) = P(x ^ y) ^ x ^ y`.
fn compress(x: &Block, y: &Block) -> Block {
    let r: [v128; VECS] = core::array::from_fn(|i| v128_xor(x.0[i], y.0[i]));
    let mut q = r;
    permute_block(&mut q);
    Block(core::array::from_fn(|i| v128_xor(q[i], r[i])))
}

/// `memory[cur] = G(memory[prev], memory[reference])` (pass 0), or `^=` it (later passes,
/// version 0x13).
fn fill_block(memory: &mut [Block], prev: usize, reference: usize, cur: usize, xor_into: bool) -> Result<()> {
    let (Some(x), Some(y)) = (memory.get(prev), memory.get(reference)) else {
        return Err(Error::InvalidInput("Argon2 block index"));
    };
    let r: [v128; VECS] = core::array::from_fn(|i| v128_xor(x.0[i], y.0[i]));
    let mut q = r;
    permute_block(&mut q);
    let Some(dst) = memory.get_mut(cur) else {
        return Err(Error::InvalidInput("Argon2 block index"));
    };
    if xor_into {
        for ((d, q), r) in dst.0.iter_mut().zip(&q).zip(&r) {
            *d = v128_xor(*d, v128_xor(*q, *r));
        }
    } else {
        for ((d, q), r) in dst.0.iter_mut().zip(&q).zip(&r) {
            *d = v128_xor(*q, *r);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// BLAKE2b and H'.

/// BLAKE2b with an `out.len()`-byte digest (1 to 64) of the concatenated `inputs`.
fn blake2b(inputs: &[&[u8]], out: &mut [u8]) -> Result<()> {
    let mut core = Blake2bVarCore::new(out.len()).map_err(|_| Error::InvalidInput("BLAKE2b output length"))?;
    let mut buffer = LazyBuffer::default();
    for input in inputs {
        buffer.digest_blocks(input, |blocks| core.update_blocks(blocks));
    }
    let mut full = Zeroizing::new([0u8; 64]);
    let mut digest = Default::default();
    core.finalize_variable_core(&mut buffer, &mut digest);
    full.copy_from_slice(&digest);
    digest.zeroize();
    out.copy_from_slice(&full[..out.len()]);
    Ok(())
}

/// RFC 9106 3.3, `H'^T(inputs)` with `T = out.len()`.
fn blake2b_long(inputs: &[&[u8]], out: &mut [u8]) -> Result<()> {
    let len = u32::try_from(out.len()).map_err(|_| Error::InvalidInput("Argon2 output length"))?;
    let len = len.to_le_bytes();
    if out.len() <= 64 {
        let mut all: Vec<&[u8]> = Vec::with_capacity(inputs.len() + 1);
        all.push(&len);
        all.extend_from_slice(inputs);
        return blake2b(&all, out);
    }
    let mut hasher = Blake2b512::new();
    Digest::update(&mut hasher, len);
    for input in inputs {
        Digest::update(&mut hasher, input);
    }
    let mut v = Zeroizing::new([0u8; 64]);
    v.copy_from_slice(&hasher.finalize());
    // W_1 .. W_r: the first 32 bytes of V_1 .. V_r, r = ceil(T / 32) - 2; then V_{r+1}, the
    // remaining 1 to 64 bytes.
    let mut rest = out;
    loop {
        let (chunk, tail) = rest.split_at_mut(32);
        chunk.copy_from_slice(&v[..32]);
        rest = tail;
        if rest.len() <= 64 {
            break;
        }
        let mut next = Blake2b512::digest(&v[..]);
        v.copy_from_slice(&next);
        next.zeroize();
    }
    blake2b(&[&v[..]], rest)
}

// ---------------------------------------------------------------------------------------------
// Argon2id.

fn le32(n: usize) -> Result<[u8; 4]> {
    u32::try_from(n).map(u32::to_le_bytes).map_err(|_| Error::InvalidInput("Argon2 input longer than 2^32 - 1 bytes"))
}

/// `Argon2id(version 0x13, m_kib, t, p, password, salt, secret, ad)` into `out`.
///
/// Checks what RFC 9106 requires (`8 * p <= m_kib`, `1 <= p < 2^24`, `t >= 1`, a salt of at least
/// 8 bytes, a tag of at least 4, every length below `2^32`) and, since it allocates the memory,
/// the format's ceiling `m_kib <= 262144` (256 MiB); the other bounds of docs/FORMAT.md, "Password to wrap key" are the
/// caller's (`keys::password`).
#[allow(clippy::too_many_arguments)]
pub fn argon2id(
    password: &[u8],
    salt: &[u8],
    secret: &[u8],
    ad: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
    out: &mut [u8],
) -> Result<()> {
    if !(1..0x0100_0000).contains(&p) || t == 0 || u64::from(m_kib) < 8 * u64::from(p) {
        return Err(Error::ParamsOutOfBounds("rejected by Argon2"));
    }
    if salt.len() < 8 || out.len() < 4 {
        return Err(Error::ParamsOutOfBounds("rejected by Argon2"));
    }
    // The memory is allocated here: never more than the format allows, whoever the caller is.
    if m_kib > MAX_M_KIB {
        return Err(Error::ParamsOutOfBounds("m_kib must be 19456 to 262144"));
    }
    let lanes = p as usize;
    let segment_length = m_kib as usize / (lanes * SYNC_POINTS);
    let lane_length = segment_length * SYNC_POINTS;
    let block_count = lane_length * lanes;

    // H0 (RFC 9106 3.2, step 1).
    let mut h0 = Zeroizing::new([0u8; 64]);
    {
        let mut hasher = Blake2b512::new();
        for field in [p, le32_u32(out.len())?, m_kib, t, VERSION, ARGON2ID] {
            Digest::update(&mut hasher, field.to_le_bytes());
        }
        for input in [password, salt, secret, ad] {
            Digest::update(&mut hasher, le32(input.len())?);
            Digest::update(&mut hasher, input);
        }
        h0.copy_from_slice(&hasher.finalize());
    }

    let mut memory: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    memory.try_reserve_exact(block_count).map_err(|_| Error::InvalidInput("Argon2 memory: allocation failed"))?;
    memory.resize(block_count, Block::default());

    // The first two blocks of each lane (steps 3 and 4).
    let mut bytes = Zeroizing::new([0u8; BLOCK_BYTES]);
    for lane in 0..lanes {
        for i in 0..2 {
            blake2b_long(&[&h0[..], &le32(i)?, &le32(lane)?], &mut bytes[..])?;
            let Some(block) = memory.get_mut(lane * lane_length + i) else {
                return Err(Error::InvalidInput("Argon2 block index"));
            };
            *block = Block::from_bytes(&bytes);
        }
    }

    let geometry = Geometry { lanes, segment_length, lane_length, block_count, passes: t as usize };
    for pass in 0..geometry.passes {
        for slice in 0..SYNC_POINTS {
            for lane in 0..lanes {
                fill_segment(&mut memory, &geometry, pass, slice, lane)?;
            }
        }
    }

    // Final block: XOR of the last blocks of the lanes (step 7), then H'^T.
    let mut last = Block::default();
    for lane in 0..lanes {
        let Some(block) = memory.get(lane * lane_length + lane_length - 1) else {
            return Err(Error::InvalidInput("Argon2 block index"));
        };
        for (l, b) in last.0.iter_mut().zip(&block.0) {
            *l = v128_xor(*l, *b);
        }
    }
    let mut words = Zeroizing::new(last.words());
    last.zeroize();
    for (chunk, word) in bytes.as_chunks_mut::<8>().0.iter_mut().zip(words.iter()) {
        *chunk = word.to_le_bytes();
    }
    words.zeroize();
    blake2b_long(&[&bytes[..]], out)
}

fn le32_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::InvalidInput("Argon2 output length"))
}

/// The shape of the memory.
struct Geometry {
    lanes: usize,
    segment_length: usize,
    lane_length: usize,
    block_count: usize,
    passes: usize,
}

/// Fills one segment (RFC 9106 3.4): `slice` of `lane` in `pass`.
fn fill_segment(memory: &mut [Block], g: &Geometry, pass: usize, slice: usize, lane: usize) -> Result<()> {
    // Argon2id: data-independent addresses in the first two slices of pass 0.
    let independent = pass == 0 && slice < SYNC_POINTS / 2;
    let mut counter = 0u64;
    let mut addresses = [0u64; WORDS];
    let next_addresses = |counter: &mut u64| -> [u64; WORDS] {
        *counter += 1;
        let mut input = Block::default();
        input.0[0] = u64x2(pass as u64, lane as u64);
        input.0[1] = u64x2(slice as u64, g.block_count as u64);
        input.0[2] = u64x2(g.passes as u64, u64::from(ARGON2ID));
        input.0[3] = u64x2(*counter, 0);
        let zero = Block::default();
        compress(&zero, &compress(&zero, &input)).words()
    };

    let first = if pass == 0 && slice == 0 { 2 } else { 0 };
    if independent && first == 2 {
        addresses = next_addresses(&mut counter);
    }
    let segment_start = lane * g.lane_length + slice * g.segment_length;
    // The block before the first one computed: the lane's last block when the segment starts
    // the lane (slice 0 of a later pass).
    let mut prev = if slice == 0 && first == 0 { segment_start + g.lane_length - 1 } else { segment_start + first - 1 };

    for index in first..g.segment_length {
        let cur = segment_start + index;
        let rand = if independent {
            if index % WORDS == 0 {
                addresses = next_addresses(&mut counter);
            }
            addresses[index % WORDS]
        } else {
            memory.get(prev).map(Block::first_word).ok_or(Error::InvalidInput("Argon2 block index"))?
        };

        let ref_lane = if pass == 0 && slice == 0 { lane } else { (rand >> 32) as usize % g.lanes };
        let area = if pass == 0 {
            if slice == 0 {
                index - 1
            } else if ref_lane == lane {
                slice * g.segment_length + index - 1
            } else {
                slice * g.segment_length - usize::from(index == 0)
            }
        } else if ref_lane == lane {
            g.lane_length - g.segment_length + index - 1
        } else {
            g.lane_length - g.segment_length - usize::from(index == 0)
        };
        let x = rand & 0xFFFF_FFFF;
        let x = (x * x) >> 32;
        let relative = area - 1 - ((area as u64 * x) >> 32) as usize;
        let start = if pass != 0 && slice != SYNC_POINTS - 1 { (slice + 1) * g.segment_length } else { 0 };
        let reference = ref_lane * g.lane_length + (start + relative) % g.lane_length;

        fill_block(memory, prev, reference, cur, pass != 0)?;
        prev = cur;
    }
    addresses.zeroize();
    Ok(())
}
