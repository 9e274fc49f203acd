//! The HNSW graph (hnsw_rs) behind [`super::MemoryVectorStore`]: a cosine
//! distance that cannot panic, and the graph's build settings.

use std::sync::atomic::{AtomicBool, Ordering};

use hnsw_rs::anndists::dist::Distance;
use hnsw_rs::hnsw::Hnsw;

/// Links per node and construction breadth: hnswlib's usual M and a
/// moderate ef, trading a little recall at build for 2x faster ingestion.
const LINKS: usize = 16;
const EF_CONSTRUCTION: usize = 100;
const MAX_LAYERS: usize = 16;

/// `1 - a·b`, never negative. Our own rather than hnsw_rs's `DistDot`,
/// which panics when rounding puts a unit vector's dot product just above 1.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CosineDistance;

impl Distance<f32> for CosineDistance {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).max(0.0)
    }
}

/// The dot product, with AVX2 and FMA where the CPU has them (checked once;
/// 2-3x faster than what the compiler makes for baseline x86-64).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU supports both features the function enables.
        return unsafe { dot_avx2(a, b) };
    }
    dot_portable(a, b)
}

/// Whether the CPU has AVX2 and FMA, checked once.
#[cfg(target_arch = "x86_64")]
fn avx2_fma() -> bool {
    use std::sync::OnceLock;
    static FAST: OnceLock<bool> = OnceLock::new();
    *FAST.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    })
}

/// The sum of the lanes of the four sums.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn lanes_sum(s: [std::arch::x86_64::__m256; 4]) -> f32 {
    use std::arch::x86_64::*;
    let sum = _mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3]));
    let half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps::<1>(sum));
    let pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
    _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps::<1>(pair, pair)))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut s = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    // Four sums, so four multiply-adds are in flight at once.
    while i + 32 <= n {
        for (j, s) in s.iter_mut().enumerate() {
            // SAFETY: i + 32 <= n, so every 8-lane load stays in bounds.
            unsafe {
                *s = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(i + 8 * j)),
                    _mm256_loadu_ps(pb.add(i + 8 * j)),
                    *s,
                );
            }
        }
        i += 32;
    }
    while i + 8 <= n {
        // SAFETY: i + 8 <= n.
        unsafe {
            s[0] = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s[0])
        };
        i += 8;
    }
    lanes_sum(s) + dot_portable(&a[i..n], &b[i..n])
}

/// The dot product of `a` with a row of 8-bit codes (one scale for the
/// row, applied by the caller), with AVX2 and FMA where the CPU has them.
pub(crate) fn dot_codes(a: &[f32], codes: &[i8]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if avx2_fma() {
        // SAFETY: the CPU supports both features the function enables.
        return unsafe { dot_codes_avx2(a, codes) };
    }
    dot_codes_portable(a, codes)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_codes_avx2(a: &[f32], codes: &[i8]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(codes.len());
    let (pa, pc) = (a.as_ptr(), codes.as_ptr());
    let mut s = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 32 <= n {
        for half in 0..2 {
            // SAFETY: i + 32 <= n, so the 16 codes and 16 floats read here
            // stay in bounds.
            unsafe {
                let c = _mm_loadu_si128(pc.add(i + 16 * half).cast());
                let lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(c));
                let hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128::<8>(c)));
                let at = i + 16 * half;
                s[2 * half] = _mm256_fmadd_ps(lo, _mm256_loadu_ps(pa.add(at)), s[2 * half]);
                s[2 * half + 1] =
                    _mm256_fmadd_ps(hi, _mm256_loadu_ps(pa.add(at + 8)), s[2 * half + 1]);
            }
        }
        i += 32;
    }
    lanes_sum(s) + dot_codes_portable(&a[i..n], &codes[i..n])
}

fn dot_codes_portable(a: &[f32], codes: &[i8]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cc) = (a.chunks_exact(8), codes.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cc.remainder())
        .map(|(x, &c)| x * f32::from(c))
        .sum();
    for (x, c) in ca.zip(cc) {
        for i in 0..8 {
            acc[i] += x[i] * f32::from(c[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Eight running sums so the compiler vectorises the loop.
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

pub(crate) type Graph = Hnsw<'static, f32, CosineDistance>;

/// Gives freed heap pages back to the OS, once a graph is dropped: hnsw_rs
/// holds each point in small allocations spread over its builder threads'
/// arenas, which glibc otherwise keeps resident after they are freed.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and only returns free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A graph of `items` (vector, number), sized to grow to twice as many,
/// built on the rayon pool.
pub(crate) fn build(items: Vec<(&[f32], usize)>) -> Graph {
    let graph = empty(items.len());
    graph.parallel_insert_slice(&items);
    graph
}

/// [`build`] on the calling thread alone: for background builds, which
/// must not take the rayon pool from work the caller waits for. Stops
/// early, with a partial graph, once `stop` is set.
pub(crate) fn build_here(items: Vec<(&[f32], usize)>, stop: &AtomicBool) -> Graph {
    let graph = empty(items.len());
    for batch in items.chunks(256) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        for &item in batch {
            graph.insert_slice(item);
        }
    }
    graph
}

fn empty(n: usize) -> Graph {
    Hnsw::new(
        LINKS,
        (n * 2).max(1024),
        MAX_LAYERS,
        EF_CONSTRUCTION,
        CosineDistance,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_agrees_with_the_plain_sum_at_every_length() {
        for n in [0, 1, 7, 8, 15, 16, 17, 31, 384, 385] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "{n}");
        }
    }

    #[test]
    fn dot_codes_agrees_with_the_plain_sum_at_every_length() {
        for n in [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 384, 385] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let codes: Vec<i8> = (0..n).map(|i| ((i * 37) % 255) as i8).collect();
            let plain: f32 = a.iter().zip(&codes).map(|(x, &c)| x * f32::from(c)).sum();
            assert!((dot_codes(&a, &codes) - plain).abs() < 1e-2, "{n}");
            assert!((dot_codes_portable(&a, &codes) - plain).abs() < 1e-2, "{n}");
        }
    }
}
