//! `shmkern job create|work|wait|status`: cross-process jobs for users who start the participants
//! themselves — for example several services over one shared file. `--processes N` does the same
//! with helpers it starts itself (`processes.rs`).

use crate::dispatch::dispatch;
use crate::input::{inspect, Source};
use crate::output::{print, rows};
use crate::processes;
use crate::reduce::{minmax_fields, moments_fields, norms_fields};
use crate::run::{dispatch_int_job, emit, pool, stats_fields, sum_fields, Fields, Run};
use crate::{Failure, JobCommand, KindArg};
use serde_json::json;
use shmkern::buffer::DType;
use shmkern::job::{Job, JobKind};
use shmkern::kernels::{ExactSum, MinMax, Moments, NanPolicy, Norms};
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(cmd: JobCommand) -> Result<(), Failure> {
    match cmd {
        JobCommand::Create(a) => {
            if a.mode & 0o002 != 0 && !a.world_writable {
                return Err(Failure::Usage(format!(
                    "--mode {:o} lets every user of the machine write the job file, and any of \
                     them could spoil the job's result; add --world-writable if that is intended",
                    a.mode
                )));
            }
            // A raw file without --dtype is a usage error, said the same way as by `stats`.
            let src = inspect(&a.data, a.dtype)?;
            let job = create(&a.job, &src, a.kind)?;
            if a.mode != 0o600 {
                processes::set_mode(&a.job, a.mode)?;
            }
            let s = job.status();
            print(&format!(
                "{}: {} job over {} ({}, {} values) in {} chunks\n",
                a.job.display(),
                job.kernel_name(),
                job.data_path().display(),
                job.dtype(),
                job.count(),
                s.chunks
            ))
        }
        JobCommand::Work(a) => {
            let job = attach(&a.job)?;
            let pool = pool(a.threads)?;
            processes::work(&job, &pool, a.quiet)?;
            if !a.quiet {
                let s = job.status();
                print(&format!(
                    "{}: complete ({} of {} chunks)\n",
                    a.job.display(),
                    s.done,
                    s.chunks
                ))?;
            }
            Ok(())
        }
        JobCommand::Wait(a) => {
            let job = attach(&a.job)?;
            let start = Instant::now();
            let timeout = Duration::from_secs_f64(a.timeout);
            let src = inspect(&job.data_path(), Some(job.dtype()))?;
            let report = |run: &Run| -> Result<(), Failure> {
                match job.kind() {
                    Some(JobKind::Stats) => dispatch!(job.dtype(), T => {
                        let s = job.wait_stats::<T>(timeout)?;
                        let run = Run { seconds: start.elapsed().as_secs_f64(), ..*run };
                        emit(&src, s.count() + s.nan_count(), stats_fields(&s, a.ddof), &run, a.json)
                    }),
                    Some(JobKind::Sum) => {
                        let count = job.count();
                        let float = |s: f64| {
                            let run = Run {
                                seconds: start.elapsed().as_secs_f64(),
                                ..*run
                            };
                            emit(&src, count, sum_fields(count, s, "fast"), &run, a.json)
                        };
                        match job.dtype() {
                            DType::F32 => float(job.wait_sum_float::<f32>(timeout)?),
                            DType::F64 => float(job.wait_sum_float::<f64>(timeout)?),
                            _ => dispatch_int_job(&src, &job, run, a.json),
                        }
                    }
                    _ => {
                        let count = job.count();
                        // `fields` holds the result, so the time is taken once it is there.
                        let wait = |fields: Fields| {
                            let run = Run {
                                seconds: start.elapsed().as_secs_f64(),
                                ..*run
                            };
                            emit(&src, count, fields, &run, a.json)
                        };
                        match job.kernel_name() {
                            "sum_exact" => match job.dtype() {
                                DType::F32 => wait(sum_fields(
                                    count,
                                    job.wait_kernel(&ExactSum::<f32>::new(), timeout)?,
                                    "exact",
                                )),
                                _ => wait(sum_fields(
                                    count,
                                    job.wait_kernel(&ExactSum::<f64>::new(), timeout)?,
                                    "exact",
                                )),
                            },
                            "minmax" => {
                                dispatch!(job.dtype(), T => wait(minmax_fields(&job.wait_kernel(&MinMax::<T>::new(), timeout)?, NanPolicy::Skip)))
                            }
                            "moments" => {
                                dispatch!(job.dtype(), T => wait(moments_fields(&job.wait_kernel(&Moments::<T>::new(), timeout)?, a.ddof)))
                            }
                            "norms" => {
                                dispatch!(job.dtype(), T => wait(norms_fields(&job.wait_kernel(&Norms::<T>::new(), timeout)?)))
                            }
                            _ => Err(Failure::Other(format!(
                                "{}: a job of the kernel {:?}, which this shmkern cannot run or \
                                 print",
                                a.job.display(),
                                job.kernel_name()
                            ))),
                        }
                    }
                }
            };
            report(&Run {
                threads: None,
                processes: 1,
                seconds: 0.0,
                bytes: job.count() * job.dtype().size() as u64,
            })
        }
        JobCommand::Status(a) => {
            let job = attach(&a.job)?;
            let s = job.status();
            if a.json {
                let v = json!({
                    "job": a.job.display().to_string(),
                    "kind": job.kernel_name(),
                    "data": job.data_path().display().to_string(),
                    "dtype": job.dtype().name(),
                    "count": job.count(),
                    "chunks": s.chunks,
                    "done": s.done,
                    "live_participants": s.live_participants,
                });
                return print(&format!("{v}\n"));
            }
            print(&rows(&[
                ("job", a.job.display().to_string()),
                ("kind", job.kernel_name().to_owned()),
                (
                    "data",
                    format!(
                        "{} ({}, {} values)",
                        job.data_path().display(),
                        job.dtype(),
                        job.count()
                    ),
                ),
                (
                    "chunks",
                    format!(
                        "{} of {} done{}",
                        s.done,
                        s.chunks,
                        if s.done == s.chunks {
                            " (complete)"
                        } else {
                            ""
                        }
                    ),
                ),
                ("participants", format!("{} live", s.live_participants)),
            ]))
        }
    }
}

/// Creates the job file `path` of `kind` over `src`.
fn create(path: &Path, src: &Source, kind: KindArg) -> Result<Job, Failure> {
    use processes::{builtin, of_kernel};
    let job = match kind {
        KindArg::Stats => builtin(src, JobKind::Stats)(path),
        KindArg::Sum => builtin(src, JobKind::Sum)(path),
        KindArg::SumExact => match src.dtype {
            DType::F32 => of_kernel(src, ExactSum::<f32>::new())(path),
            DType::F64 => of_kernel(src, ExactSum::<f64>::new())(path),
            t => {
                return Err(Failure::Usage(format!(
                    "{}: --kind sum-exact sums floats (f32, f64), not {t}; integer sums are \
                     exact already (--kind sum)",
                    src.path.display()
                )))
            }
        },
        KindArg::Minmax => dispatch!(src.dtype, T => of_kernel(src, MinMax::<T>::new())(path)),
        KindArg::Moments => dispatch!(src.dtype, T => of_kernel(src, Moments::<T>::new())(path)),
        KindArg::Norms => dispatch!(src.dtype, T => of_kernel(src, Norms::<T>::new())(path)),
    };
    Ok(job?)
}

fn attach(path: &Path) -> Result<Job, Failure> {
    // SAFETY: the command's documented contract: the job's data file is not modified while the job
    // runs.
    let job = unsafe { Job::attach(path) }?;
    crate::sigbus::fallback(&format!(
        "{} (or its data file {})",
        path.display(),
        job.data_path().display()
    ));
    crate::input::delay_after_map();
    Ok(job)
}
