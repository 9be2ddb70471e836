//! Image transforms on the pool — the seed's image example as calls: an RGB or RGBA image to its
//! luma plane, and a box blur of a plane. Each writes into an output typed array the caller
//! gives (a `SharedArrayBuffer` works, so workers can read the result in place), by chunks of
//! rows, off the event loop; the promise resolves to that array. The results are the same bytes
//! for any thread count (each output pixel is a function of the input alone).

use crate::column::Arg;
use crate::error::{from_shmkern, range_error, type_error};
use napi::bindgen_prelude::*;
use shmkern::{CancelToken, ParOptions, Pool};
use shmkern_bindings::Column;

/// Output rows a chunk of work covers.
const ROWS: usize = 16;

pub(crate) enum ImageOp {
    /// Luma of each pixel, ITU-R BT.601 weights in integers: `(299 r + 587 g + 114 b + 500) / 1000`.
    Grayscale { channels: usize },
    /// The mean of the `(2r + 1)²` window around each pixel, clamped at the edges, rounded half up.
    BoxBlur { radius: usize },
}

pub struct ImageTask {
    op: ImageOp,
    width: usize,
    src: crate::column::Held,
    out: Option<Uint8Array>,
    pool: &'static Pool,
    token: CancelToken,
}

impl ImageTask {
    pub(crate) fn start(
        op: ImageOp,
        src: Arg<'_>,
        out: Uint8Array,
        (width, height): (u32, u32),
        pool: &'static Pool,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<ImageTask>> {
        let (width, height) = (width as usize, height as usize);
        let Column::U8(pixels) = src.column else {
            return Err(type_error(
                "image: the input must be a Uint8Array or Uint8ClampedArray",
            ));
        };
        let channels = match op {
            ImageOp::Grayscale { channels } => channels,
            ImageOp::BoxBlur { .. } => 1,
        };
        let want = width
            .checked_mul(height)
            .and_then(|n| n.checked_mul(channels))
            .ok_or_else(|| range_error("image: width × height is too large"))?;
        if width == 0 || height == 0 || pixels.len() != want {
            return Err(range_error(format!(
                "image: the input holds {} bytes, not width × height × {channels} = {want}",
                pixels.len()
            )));
        }
        if out.len() != width * height {
            return Err(range_error(format!(
                "image: the output holds {} bytes, not width × height = {}",
                out.len(),
                width * height
            )));
        }
        let (a, b) = (pixels.as_ptr_range(), out.as_ptr_range());
        if a.start < b.end && b.start < a.end {
            return Err(range_error("image: the output must not overlap the input"));
        }
        let token = CancelToken::new();
        if let Some(s) = &signal {
            let t = token.clone();
            s.on_abort(move || t.cancel());
        }
        let task = ImageTask {
            op,
            width,
            src: src.hold()?,
            out: Some(out),
            pool,
            token,
        };
        Ok(AsyncTask::with_optional_signal(task, signal))
    }
}

impl Task for ImageTask {
    type Output = ();
    type JsValue = Uint8Array;

    fn compute(&mut self) -> Result<()> {
        let Column::U8(src) = self.src.column() else {
            unreachable!("start() checked the input type");
        };
        let width = self.width;
        let out = self
            .out
            .as_mut()
            .expect("the output is taken only by resolve");
        // SAFETY: the output array is referenced by this task until it resolves, and start()
        // checked that it does not overlap the input. JavaScript writing to it while the call
        // runs is the caller's to avoid (README), as for the kernels' inputs.
        let out = unsafe { out.as_mut() };
        let opts = ParOptions {
            cancel: Some(&self.token),
            ..ParOptions::default()
        };
        let height = out.len() / width;
        match self.op {
            ImageOp::Grayscale { channels } => {
                self.pool
                    .for_each_chunk_mut_with(out, opts.with_chunk(ROWS * width), |at, rows| {
                        let px = &src[at * channels..(at + rows.len()) * channels];
                        for (o, p) in rows.iter_mut().zip(px.chunks_exact(channels)) {
                            let (r, g, b) = (u32::from(p[0]), u32::from(p[1]), u32::from(p[2]));
                            *o = ((299 * r + 587 * g + 114 * b + 500) / 1000) as u8;
                        }
                    })
            }
            ImageOp::BoxBlur { radius } => {
                self.pool
                    .for_each_chunk_mut_with(out, opts.with_chunk(ROWS * width), |at, rows| {
                        for (i, o) in rows.iter_mut().enumerate() {
                            let (x, y) = ((at + i) % width, (at + i) / width);
                            let (x0, x1) = (x.saturating_sub(radius), (x + radius).min(width - 1));
                            let (y0, y1) = (y.saturating_sub(radius), (y + radius).min(height - 1));
                            let mut sum = 0u64;
                            for row in src[y0 * width..(y1 + 1) * width].chunks_exact(width) {
                                sum += row[x0..=x1].iter().map(|&p| u64::from(p)).sum::<u64>();
                            }
                            let n = ((x1 - x0 + 1) * (y1 - y0 + 1)) as u64;
                            *o = ((sum + n / 2) / n) as u8;
                        }
                    })
            }
        }
        .map_err(from_shmkern)
    }

    fn resolve(&mut self, _env: Env, _: ()) -> Result<Uint8Array> {
        Ok(self.out.take().expect("resolved once"))
    }
}

/// `ParOptions` with a chunk length.
trait WithChunk {
    fn with_chunk(self, len: usize) -> Self;
}

impl WithChunk for ParOptions<'_> {
    fn with_chunk(self, len: usize) -> Self {
        ParOptions {
            chunk_len: Some(len),
            ..self
        }
    }
}
