//! `plot`: the throughput of an f64 sum against the input size, as a markdown table and a plot,
//! `docs/throughput.png` (docs/performance.md, "Plot"):
//!
//! ```sh
//! cargo bench --bench tables -- plot   # ~30 s; prints the table, rewrites docs/throughput.png
//! ```
//!
//! Sizes from 1,000 to 128 Mi elements (1 GiB). Variants: `Pool::sum_float` and `Pool::stats`
//! (shmkern, 2 participants), rayon `par_iter().sum()` (2 threads), the naive sequential
//! `iter().sum()`, the sequential 16-lane loop `kernels::sequential_sum` (the same tree as
//! `sum_float`, on one thread), and, as a reference line, the two-thread read-bandwidth loop
//! (`common/bandwidth.rs`: the same memory as `u64`, each participant XOR-folding its half in a
//! loop the compiler vectorizes, run through `Pool::broadcast`; at small sizes it measures the
//! broadcast round trip, not bandwidth).
//!
//! Measurement as in the `kernels` table, with the helpers of `common/report.rs`: pools built once
//! and called from the main thread (the shmkern caller is participant 0, rayon's caller blocks in
//! `install`); the 1 GiB buffer of `common/buffer.rs`, written in full before any timing, smaller
//! sizes reading its prefix; per size, the variants run interleaved in rotating order and each
//! number is the median over [`REPS`] repetitions ([`BIG_REPS`] single calls from 64 Mi elements
//! on) of the time per call. GB/s = bytes read (8 per element) / median time. With `--quick` the
//! plot goes to the temporary directory, not to `docs/`.

use crate::common::bandwidth::bandwidth;
use crate::common::buffer::{f64_value, Buffer};
use crate::common::report::{self, back_to_back, fmt_n, section, Variant};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;
use shmkern::kernels::{sequential_sum, Isa};
use shmkern::Pool;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// Repetitions per variant and size; the median is reported.
const REPS: usize = 11;
/// Repetitions (single calls) from [`BIG_FROM`] elements on.
const BIG_REPS: usize = 5;
/// Sizes from which a repetition is one call.
const BIG_FROM: usize = 1 << 26;
/// Target measured time of one repetition.
const REP_TARGET: Duration = Duration::from_millis(30);
/// Participants of every parallel variant.
const THREADS: usize = 2;
/// The largest array: 128 Mi `f64` = 1 GiB.
const BIG: usize = 1 << 27;
/// Element counts: 1,000, then powers of 4 and 2 from 4 Ki to 128 Mi (finer around the chunk
/// size, 32 Ki, where the pool starts splitting work, and near the caches' edges).
const SIZES: [usize; 14] = [
    1_000,
    1 << 12,
    1 << 14,
    1 << 15,
    1 << 16,
    1 << 17,
    1 << 18,
    1 << 19,
    1 << 20,
    1 << 22,
    1 << 24,
    1 << 25,
    1 << 26,
    BIG,
];
/// Where the PNG goes, relative to the crate root.
const PNG: &str = "docs/throughput.png";
/// Fonts tried, in order, for the plot's text (plotters' `ab_glyph` feature loads no system font).
const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// A variant: its name in the table, its name in the legend, and how its line is drawn.
struct Line {
    table: &'static str,
    legend: &'static str,
    color: RGBColor,
    marker: Marker,
    dashed: bool,
}

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Ring,
    Triangle,
    Square,
    Cross,
}

/// The variants, in the order of [`variants`] and of the table's columns.
const LINES: [Line; 6] = [
    Line {
        table: "shmkern `sum_float`",
        legend: "shmkern Pool::sum_float (2 threads)",
        color: RGBColor(214, 39, 40),
        marker: Marker::Circle,
        dashed: false,
    },
    Line {
        table: "shmkern `stats`",
        legend: "shmkern Pool::stats (2 threads)",
        color: RGBColor(255, 127, 14),
        marker: Marker::Square,
        dashed: false,
    },
    Line {
        table: "rayon `par_iter().sum()`",
        legend: "rayon par_iter().sum() (2 threads)",
        color: RGBColor(31, 119, 180),
        marker: Marker::Triangle,
        dashed: false,
    },
    Line {
        table: "naive `iter().sum()`",
        legend: "sequential iter().sum() (1 thread)",
        color: RGBColor(127, 127, 127),
        marker: Marker::Cross,
        dashed: false,
    },
    Line {
        table: "16-lane `sequential_sum`",
        legend: "sequential 16-lane sequential_sum (1 thread)",
        color: RGBColor(44, 160, 44),
        marker: Marker::Ring,
        dashed: false,
    },
    Line {
        table: "bandwidth loop (2 threads)",
        legend: "reference: 2-thread read-bandwidth loop (small sizes: pool round trip)",
        color: RGBColor(0, 0, 0),
        marker: Marker::Cross,
        dashed: true,
    },
];

/// The variants over `d` (and `w`, the same memory as `u64`), in the order of [`LINES`].
fn variants<'a>(
    shm: &'a Pool,
    ray: &'a rayon::ThreadPool,
    isa: Isa,
    d: &'a [f64],
    w: &'a [u64],
) -> Vec<Variant<'a>> {
    vec![
        back_to_back(move || {
            black_box(shm.sum_float(black_box(d)));
        }),
        back_to_back(move || {
            black_box(shm.stats(black_box(d)));
        }),
        back_to_back(move || {
            black_box(ray.install(|| black_box(d).par_iter().sum::<f64>()));
        }),
        back_to_back(move || {
            black_box(black_box(d).iter().sum::<f64>());
        }),
        back_to_back(move || {
            black_box(sequential_sum(black_box(d)));
        }),
        back_to_back(move || {
            black_box(bandwidth(shm, isa, black_box(w)));
        }),
    ]
}

/// `n` elements in binary units where exact: "1,000", "4 Ki", "128 Mi".
fn size_label(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} Mi", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} Ki", n >> 10)
    } else {
        fmt_n(n)
    }
}

/// `bytes` as "8 KiB", "1 MiB", "1 GiB" (rounded down) or "8,000 B".
fn bytes_label(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{} B", fmt_n(b)),
    }
}

/// GB/s with three significant digits.
fn fmt_gbs(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.2}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// The data cache sizes of CPU 0 from sysfs: (level, bytes), e.g. [(1, 48 KiB), (2, 2 MiB), …].
fn caches() -> Vec<(u32, usize)> {
    let mut out = Vec::new();
    for i in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        if kind.trim() == "Instruction" {
            continue;
        }
        let size = size.trim();
        let (num, mult) = match size.strip_suffix('K') {
            Some(k) => (k, 1 << 10),
            None => match size.strip_suffix('M') {
                Some(m) => (m, 1 << 20),
                None => (size, 1),
            },
        };
        if let (Ok(level), Ok(num)) = (level.trim().parse(), num.parse::<usize>()) {
            out.push((level, num * mult));
        }
    }
    out
}

/// Measures every size; returns GB/s medians, `[size][variant]`, and prints the table.
fn measure_all(buf: &Buffer, shm: &Pool, ray: &rayon::ThreadPool, isa: Isa) -> Vec<[f64; 6]> {
    println!("### Sum of f64: throughput (GB/s read, median) against the input size");
    println!();
    print!("| elements | bytes |");
    for l in &LINES {
        print!(" {} |", l.table);
    }
    println!(" `sum_float` ÷ rayon |");
    println!("|---:|---:|{}---:|", "---:|".repeat(LINES.len()));
    let mut rows = Vec::new();
    for n in SIZES {
        let d = &buf.view::<f64>()[..n];
        let w = &buf.view::<u64>()[..n];
        assert_eq!(
            shm.sum_float(d).to_bits(),
            sequential_sum(d).to_bits(),
            "sum_float and sequential_sum differ at {n} elements"
        );
        let mut vs = variants(shm, ray, isa, d, w);
        let reps = if n >= BIG_FROM { BIG_REPS } else { REPS };
        let s = report::measure(&mut vs, reps, REP_TARGET);
        drop(vs);
        let mut row = [0.0; 6];
        for (g, x) in row.iter_mut().zip(&s) {
            *g = (n * 8) as f64 / x.median;
        }
        print!("| {} | {} |", size_label(n), bytes_label(n * 8));
        for g in row {
            print!(" {} |", fmt_gbs(g));
        }
        println!(" ×{:.2} |", row[0] / row[2]);
        rows.push(row);
    }
    println!();
    rows
}

/// Draws the plot to `path`: log–log, one line per variant, cache sizes marked.
fn draw(
    path: &Path,
    rows: &[[f64; 6]],
    title: &str,
    subtitle: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let (w, h) = (1400, 960);
    let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE)?;
    let (head, rest) = root.split_vertically(88);
    let (body, foot) = rest.split_vertically(h - 88 - 124);
    head.draw(&Text::new(
        title.to_string(),
        (70, 10),
        ("sans-serif", 26).into_font(),
    ))?;
    for (k, line) in subtitle.lines().enumerate() {
        head.draw(&Text::new(
            line.to_string(),
            (70, 42 + 22 * k as i32),
            ("sans-serif", 17).into_font().color(&RGBColor(80, 80, 80)),
        ))?;
    }

    let lo = rows.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let hi = rows.iter().flatten().copied().fold(0.0, f64::max);
    let (y0, y1) = (lo / 1.6, hi * 1.6);
    let (x0, x1) = (SIZES[0] as f64 / 1.4, BIG as f64 * 1.4);
    // Ticks at 1,000, the powers of 4 and 128 Mi; the top axis shows the same points in bytes.
    let ticks: Vec<usize> = std::iter::once(1_000)
        .chain((12..=26).step_by(2).map(|k| 1 << k))
        .chain([BIG])
        .collect();
    let mut chart = ChartBuilder::on(&body)
        .margin_left(20)
        .margin_right(30)
        .x_label_area_size(60)
        .top_x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(
            (x0..x1)
                .log_scale()
                .with_key_points(ticks.iter().map(|&n| n as f64).collect()),
            (y0..y1).log_scale(),
        )?
        .set_secondary_coord(
            (x0 * 8.0..x1 * 8.0)
                .log_scale()
                .with_key_points(ticks.iter().map(|&n| (n * 8) as f64).collect()),
            (y0..y1).log_scale(),
        );
    let x_fmt = |x: &f64| size_label(x.round() as usize);
    let bytes_fmt = |x: &f64| bytes_label(x.round() as usize);
    let y_fmt = |y: &f64| {
        if *y >= 1.0 {
            format!("{y:.0}")
        } else {
            format!("{y:.1}")
        }
    };
    chart
        .configure_mesh()
        .x_desc("input size: f64 elements (log scale)")
        .y_desc("throughput: GB/s read (log scale)")
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 19))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(205, 205, 205))
        .draw()?;
    chart
        .configure_secondary_axes()
        .x_desc("bytes read")
        .x_label_formatter(&bytes_fmt)
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 19))
        .draw()?;

    // Cache edges: L2 of one core and of the two participants together, and the L3.
    let grey = RGBColor(120, 120, 120);
    let mut marks: Vec<(f64, String)> = Vec::new();
    for (level, bytes) in caches() {
        match level {
            2 => {
                marks.push((
                    (bytes / 8) as f64,
                    format!("L2, 1 core ({})", bytes_label(bytes)),
                ));
                marks.push((
                    (THREADS * bytes / 8) as f64,
                    format!("L2, {THREADS} cores ({})", bytes_label(THREADS * bytes)),
                ));
            }
            3 => marks.push(((bytes / 8) as f64, format!("L3 ({})", bytes_label(bytes)))),
            _ => {}
        }
    }
    marks.retain(|(x, _)| (x0..x1).contains(x));
    for (k, (x, name)) in marks.into_iter().enumerate() {
        chart.draw_series(DashedLineSeries::new(
            [(x, y0), (x, y1)],
            4,
            6,
            grey.stroke_width(1),
        ))?;
        // Labels right of their line at the bottom, one row up per mark so none overlap; the
        // last (rightmost) one goes left of its line.
        let last = x * 4.0 > x1;
        let pos = if last {
            Pos::new(HPos::Right, VPos::Bottom)
        } else {
            Pos::new(HPos::Left, VPos::Bottom)
        };
        let at = (
            if last { x / 1.06 } else { x * 1.06 },
            y0 * 1.25f64.powi(k as i32 + 1),
        );
        chart.draw_series(std::iter::once(Text::new(
            name,
            at,
            ("sans-serif", 15).into_font().color(&grey).pos(pos),
        )))?;
    }

    for (i, l) in LINES.iter().enumerate() {
        let pts: Vec<(f64, f64)> = SIZES
            .iter()
            .zip(rows)
            .map(|(&n, r)| (n as f64, r[i]))
            .collect();
        let style = l.color.stroke_width(if l.dashed { 2 } else { 3 });
        if l.dashed {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 10, 6, style))?;
        } else {
            chart.draw_series(LineSeries::new(pts.clone(), style))?;
        }
        for &p in &pts {
            marker(&root, l, chart.backend_coord(&p))?;
        }
    }

    // The legend, under the chart (inside it, it would cover lines): shmkern and rayon in the
    // first column, the sequential loops and the reference in the second.
    for (i, l) in LINES.iter().enumerate() {
        let (x, y) = (100 + 640 * (i as i32 / 3), 24 + 32 * (i as i32 % 3));
        let style = l.color.stroke_width(if l.dashed { 2 } else { 3 });
        if l.dashed {
            foot.draw(&PathElement::new([(x, y), (x + 14, y)], style))?;
            foot.draw(&PathElement::new([(x + 26, y), (x + 40, y)], style))?;
        } else {
            foot.draw(&PathElement::new([(x, y), (x + 40, y)], style))?;
        }
        let (fx, fy) = foot.get_base_pixel();
        marker(&root, l, (fx + x + 20, fy + y))?;
        foot.draw(&Text::new(
            l.legend,
            (x + 50, y),
            ("sans-serif", 17)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Draws `l`'s marker centred at pixel `p` of `area`.
fn marker(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    l: &Line,
    p: (i32, i32),
) -> Result<(), Box<dyn std::error::Error>> {
    let filled = l.color.filled();
    let (x, y) = p;
    match l.marker {
        Marker::Circle => area.draw(&Circle::new(p, 5, filled))?,
        Marker::Ring => area.draw(&Circle::new(p, 5, l.color.stroke_width(2)))?,
        Marker::Square => area.draw(&Rectangle::new([(x - 5, y - 5), (x + 5, y + 5)], filled))?,
        Marker::Triangle => area.draw(&TriangleMarker::new(p, 7, filled))?,
        Marker::Cross => area.draw(&Cross::new(p, 5, l.color.stroke_width(2)))?,
    }
    Ok(())
}

/// Registers the first font of [`FONTS`] that exists as plotters' "sans-serif".
fn register_font() -> Result<&'static str, String> {
    for path in FONTS {
        if let Ok(bytes) = std::fs::read(path) {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| format!("{path}: not a usable font"))?;
            return Ok(path);
        }
    }
    Err(format!("none of {FONTS:?} exists"))
}

/// Prints the table and draws the plot.
pub fn run() {
    let started = Instant::now();
    let isa = Isa::detect();
    let machine = format!(
        "{}, transparent huge pages `{}`",
        report::machine(),
        report::thp_mode()
    );
    report::print_header(
        &machine,
        &format!(
            "median of {REPS} repetitions of ~{} ms each ({BIG_REPS} single calls from {} \
             elements on), variants interleaved; pools of {THREADS} threads built once, called \
             from the main thread; data: one 1 GiB anonymous mapping, every page written before \
             timing; kernels and bandwidth loop on {isa:?}",
            REP_TARGET.as_millis(),
            size_label(BIG_FROM)
        ),
    );

    let mut buf = Buffer::new(false);
    buf.fill(THREADS, f64_value);
    let shm = Pool::builder().threads(THREADS).build().expect("pool");
    let ray = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");

    let mut rows = Vec::new();
    let (busy0, _, me0) = report::cpu_seconds();
    let t0 = Instant::now();
    section(|| rows = measure_all(&buf, &shm, &ray, isa));
    let (busy1, _, me1) = report::cpu_seconds();
    // For the plot: how busy the machine was with other work while it measured.
    let others = ((busy1 - busy0) - (me1 - me0)).max(0.0);
    let secs = t0.elapsed().as_secs_f64();
    drop((ray, shm, buf));

    let path = if report::quick() {
        std::env::temp_dir().join("shmkern-throughput-quick.png")
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(PNG)
    };
    let title = "Sum of f64: throughput vs input size (shmkern, rayon, sequential)";
    let subtitle = format!(
        "{} ({} cores), {THREADS} threads for the parallel variants, median GB/s; {} (UTC)\n\
         other processes used {others:.1} CPU-s during the {secs:.0} s of measurement; \
         regenerate: cargo bench --bench tables -- plot",
        report::cpu_model(),
        report::nproc(),
        report::today_utc()
    );
    match register_font() {
        Ok(_) => match draw(&path, &rows, title, &subtitle) {
            Ok(()) => println!("plot written to {}", path.display()),
            Err(e) => println!("plot NOT written ({}): {e}", path.display()),
        },
        Err(e) => println!("plot NOT written: no font for its text ({e})"),
    }
    report::print_total(started);
}
