//! An image filter on a shmkern pool: an RGB image in shared memory is turned to grayscale in
//! place, then box-blurred, both row-chunked through `Pool::for_each_chunk_mut`.
//!
//! ```sh
//! cargo run --release --example image            # writes into the temporary directory
//! cargo run --release --example image -- OUT_DIR # writes into OUT_DIR
//! ```
//!
//! The image (1920×1080, drawn by the program) lives in a `SharedBuffer<u8>`, three bytes per pixel.
//! Grayscale works pixel by pixel, so the image is cut into chunks of whole rows and each chunk is
//! rewritten in place. A blur reads the neighbouring rows too, which another thread may be
//! rewriting, so it reads a read-only copy of the gray plane and writes each chunk of rows of a
//! second buffer. Writes `shmkern-image-input.ppm` (the drawing) and `shmkern-image-output.pgm`
//! (the blurred grayscale), which image viewers open, and prints their paths.
//!
//! Checks (a panic, so a non-zero exit, on mismatch): both stages, run in parallel, give exactly
//! the bytes of the same functions run sequentially over the whole image.

use shmkern::{Pool, SharedBuffer};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const WIDTH: usize = 1920;
const HEIGHT: usize = 1080;
/// Rows per chunk: a chunk of the RGB image is `ROWS * WIDTH * 3` bytes, of the gray plane
/// `ROWS * WIDTH`, so every chunk starts at the beginning of a row.
const ROWS: usize = 16;
/// The blur averages a (2·RADIUS + 1)² square around each pixel.
const RADIUS: usize = 4;

/// The test picture's colour at (x, y): gradients, rings and a checkerboard (sharp edges, so the
/// blur shows).
fn draw(x: usize, y: usize) -> [u8; 3] {
    let (fx, fy) = (x as f64 / WIDTH as f64, y as f64 / HEIGHT as f64);
    let (dx, dy) = (fx - 0.5, (fy - 0.5) * HEIGHT as f64 / WIDTH as f64);
    let ring = ((dx * dx + dy * dy).sqrt() * 60.0).sin() > 0.0;
    let checker = (x / 60 + y / 60).is_multiple_of(2);
    if fx > 0.7 && fy < 0.4 {
        return if checker {
            [250, 250, 40]
        } else {
            [20, 20, 120]
        };
    }
    let r = (255.0 * fx) as u8;
    let g = (255.0 * fy) as u8;
    let b = if ring { 230 } else { 40 };
    [r, g, b]
}

/// Draws the rows of `rgb` (a whole number of rows, the first of them `first_row`).
fn draw_rows(first_row: usize, rgb: &mut [u8]) {
    for (i, px) in rgb.chunks_exact_mut(3).enumerate() {
        let (x, y) = (i % WIDTH, first_row + i / WIDTH);
        px.copy_from_slice(&draw(x, y));
    }
}

/// Grayscale in place: each pixel's three bytes become its luma (ITU-R BT.601 weights, in
/// integers so that every thread computes the very same bytes).
fn grayscale(rgb: &mut [u8]) {
    for px in rgb.chunks_exact_mut(3) {
        let (r, g, b) = (u32::from(px[0]), u32::from(px[1]), u32::from(px[2]));
        let luma = ((299 * r + 587 * g + 114 * b + 500) / 1000) as u8;
        px.fill(luma);
    }
}

/// Box blur of the gray plane `src` (WIDTH × HEIGHT) into `out`, which holds whole rows of the
/// result starting at row `first_row`. Near the edges the square is cut to the image.
fn blur_rows(src: &[u8], first_row: usize, out: &mut [u8]) {
    for (i, o) in out.iter_mut().enumerate() {
        let (x, y) = (i % WIDTH, first_row + i / WIDTH);
        let (x0, x1) = (x.saturating_sub(RADIUS), (x + RADIUS).min(WIDTH - 1));
        let (y0, y1) = (y.saturating_sub(RADIUS), (y + RADIUS).min(HEIGHT - 1));
        let mut sum = 0u32;
        for row in src[y0 * WIDTH..(y1 + 1) * WIDTH].chunks_exact(WIDTH) {
            sum += row[x0..=x1].iter().map(|&p| u32::from(p)).sum::<u32>();
        }
        let n = ((x1 - x0 + 1) * (y1 - y0 + 1)) as u32;
        *o = ((sum + n / 2) / n) as u8;
    }
}

/// Writes a binary PPM (P6, `channels == 3`) or PGM (P5, `channels == 1`) file.
fn write_pnm(path: &Path, channels: usize, pixels: &[u8]) -> std::io::Result<()> {
    let magic = if channels == 3 { "P6" } else { "P5" };
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(f, "{magic}\n{WIDTH} {HEIGHT}\n255\n")?;
    f.write_all(pixels)?;
    f.flush()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::args_os()
        .nth(1)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let pool = Pool::new()?;

    let mut rgb = SharedBuffer::<u8>::anonymous(WIDTH * HEIGHT * 3)?;
    let rgb_rows = ROWS * WIDTH * 3;
    pool.for_each_chunk_mut(&mut rgb, rgb_rows, |offset, rows| {
        draw_rows(offset / (WIDTH * 3), rows);
    })?;
    let input = out_dir.join("shmkern-image-input.ppm");
    write_pnm(&input, 3, &rgb)?;
    let mut expected_gray = rgb.to_vec();

    let start = Instant::now();
    // Stage 1, in place: every chunk is whole rows, so whole pixels.
    pool.for_each_chunk_mut(&mut rgb, rgb_rows, |_, rows| grayscale(rows))?;
    // Stage 2: the blur reads neighbouring rows, so it reads a copy and writes another buffer.
    let gray: Vec<u8> = rgb.iter().step_by(3).copied().collect();
    let mut blurred = SharedBuffer::<u8>::anonymous(WIDTH * HEIGHT)?;
    pool.for_each_chunk_mut(&mut blurred, ROWS * WIDTH, |offset, rows| {
        blur_rows(&gray, offset / WIDTH, rows);
    })?;
    let parallel = start.elapsed();

    // The same functions, sequentially, over the whole image.
    let start = Instant::now();
    grayscale(&mut expected_gray);
    let expected_plane: Vec<u8> = expected_gray.iter().step_by(3).copied().collect();
    let mut expected = vec![0u8; WIDTH * HEIGHT];
    blur_rows(&expected_plane, 0, &mut expected);
    let sequential = start.elapsed();

    assert!(
        rgb[..] == expected_gray[..],
        "parallel grayscale differs from the sequential one"
    );
    assert!(
        blurred[..] == expected[..],
        "parallel blur differs from the sequential one"
    );

    let output = out_dir.join("shmkern-image-output.pgm");
    write_pnm(&output, 1, &blurred)?;
    println!(
        "{WIDTH}×{HEIGHT} RGB → grayscale → {0}×{0} box blur, chunks of {ROWS} rows on {1} \
         threads: {2:.1} ms (sequential {3:.1} ms)",
        2 * RADIUS + 1,
        pool.threads(),
        parallel.as_secs_f64() * 1e3,
        sequential.as_secs_f64() * 1e3
    );
    println!("checked: grayscale and blur byte for byte equal to the sequential run");
    println!("input:  {}", input.display());
    println!("output: {}", output.display());
    Ok(())
}
