//! A reduction of your own with every guarantee of the built-in ones: a correlation kernel over two
//! columns (the sums a Pearson correlation needs) and the position of the largest product, run on
//! a pool, on one thread, and as pieces merged later (as an outside engine would), all giving the
//! same bits. Exits non-zero on a mismatch.
//!
//! ```text
//! cargo run --release --example user_kernel
//! ```

use shmkern::kernels::{partial, run_sequential, ChunkAt, Kernel};
use shmkern::sched::{merge_pieces, ChunkGrid, Piece, CHUNK_LEN};
use shmkern::Pool;

/// The partial: plain data, so it can cross threads, processes or machines and merge later.
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Moments {
    n: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
    best_product: f64,
    /// Position of `best_product` (first occurrence); `u64::MAX` while there is none.
    best_at: u64,
}

struct Correlation;

impl Kernel for Correlation {
    type Input<'a> = (&'a [f64], &'a [f64]);
    type Partial = Moments;
    type Output = (f64, Option<usize>);

    fn chunk(&self, at: ChunkAt, (x, y): (&[f64], &[f64])) -> Moments {
        let mut m = Moments {
            n: x.len() as f64,
            sx: 0.0,
            sy: 0.0,
            sxx: 0.0,
            syy: 0.0,
            sxy: 0.0,
            best_product: f64::NEG_INFINITY,
            best_at: u64::MAX,
        };
        for (i, (&a, &b)) in x.iter().zip(y).enumerate() {
            m.sx += a;
            m.sy += b;
            m.sxx += a * a;
            m.syy += b * b;
            m.sxy += a * b;
            if a * b > m.best_product {
                (m.best_product, m.best_at) = (a * b, (at.offset + i) as u64);
            }
        }
        m
    }

    fn merge(&self, l: Moments, r: Moments) -> Moments {
        let right_wins =
            r.best_at != u64::MAX && (l.best_at == u64::MAX || r.best_product > l.best_product);
        Moments {
            n: l.n + r.n,
            sx: l.sx + r.sx,
            sy: l.sy + r.sy,
            sxx: l.sxx + r.sxx,
            syy: l.syy + r.syy,
            sxy: l.sxy + r.sxy,
            best_product: if right_wins {
                r.best_product
            } else {
                l.best_product
            },
            best_at: if right_wins { r.best_at } else { l.best_at },
        }
    }

    fn finish(&self, m: Moments) -> (f64, Option<usize>) {
        let cov = m.sxy - m.sx * m.sy / m.n;
        let vx = m.sxx - m.sx * m.sx / m.n;
        let vy = m.syy - m.sy * m.sy / m.n;
        let r = cov / (vx * vy).sqrt();
        (r, (m.best_at != u64::MAX).then_some(m.best_at as usize))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 3_000_000;
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.001).sin()).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, a)| 0.8 * a + 0.2 * ((i * 7) as f64).cos())
        .collect();

    let pool = Pool::builder().build()?;
    let on_pool = pool.run(&Correlation, (&x[..], &y[..]))?;
    let on_one_thread = run_sequential(&Correlation, (&x[..], &y[..]))?;

    // As an engine that partitions the rows would: pieces on canonical subtrees (here the
    // power-of-two blocks of 8 chunks, then the rest one chunk each), computed separately.
    let chunks = ChunkGrid::new(n)?.chunks();
    let mut pieces = Vec::new();
    let mut first = 0;
    while first < chunks {
        let len = if first + 8 <= chunks - chunks % 8 {
            8
        } else {
            1
        };
        let rows = first as usize * CHUNK_LEN..((first + len) as usize * CHUNK_LEN).min(n);
        let p = partial(&Correlation, (&x[rows.clone()], &y[rows]), first)?;
        pieces.push(Piece {
            first,
            chunks: len,
            partial: p,
        });
        first += len;
    }
    pieces.reverse(); // any order
    let merged = merge_pieces(chunks, pieces, |a, b| Correlation.merge(a, b))?;
    let from_pieces = Correlation.finish(merged);

    println!(
        "correlation {:.6}, largest product at {:?}",
        on_pool.0, on_pool.1
    );
    let same = |a: (f64, Option<usize>), b: (f64, Option<usize>)| {
        a.0.to_bits() == b.0.to_bits() && a.1 == b.1
    };
    if !same(on_pool, on_one_thread) || !same(on_pool, from_pieces) {
        eprintln!(
            "MISMATCH: pool {on_pool:?}, one thread {on_one_thread:?}, pieces {from_pieces:?}"
        );
        std::process::exit(1);
    }
    let best = x.iter().zip(&y).map(|(a, b)| a * b).enumerate().fold(
        (0, f64::NEG_INFINITY),
        |acc, (i, p)| if p > acc.1 { (i, p) } else { acc },
    );
    if on_pool.1 != Some(best.0) || !(0.9..1.0).contains(&on_pool.0) {
        eprintln!(
            "WRONG: expected the largest product at {} and a correlation in 0.9..1",
            best.0
        );
        std::process::exit(1);
    }
    println!("pool, one thread and merged pieces agree bit for bit");
    Ok(())
}
